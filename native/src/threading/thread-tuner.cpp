#include "threading/thread-tuner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

iit_thread_tuner::iit_thread_tuner(int32_t start, int32_t max_threads, bool adapt, idle_cores_fn idle_cores) :
    cur_(std::max(1, start)),
    max_(std::max(cur_, max_threads)),
    adapt_(adapt && max_ > 1),
    wait_(kFirst),
    decodes_(max_, 0),
    idle_cores_(idle_cores ? std::move(idle_cores) : idle_cores_fn([] { return -1.0; })) {
    if (adapt_) idle_cores_(); // the first interval starts here
}

void iit_thread_tuner::record(double seconds, int32_t n_tokens) {
    decodes_[next() - 1]++;
    if (!adapt_) return;
    if (phase_ != PROBE_ALT) remember(n_tokens, seconds); // the current count's time for this batch size
    if (phase_ == RUN) {
        if (--wait_ <= 0) start_probe();
        return;
    }
    // A probed count that takes kAbandon times the current count's last time for this batch size has lost:
    // stop at once, since under load one such decode can cost as much as hundreds of ordinary ones.
    if (phase_ == PROBE_ALT) {
        const double usual = usual_time(n_tokens);
        if (usual > 0 && seconds > kAbandon * usual) {
            // wait in proportion to what the probe cost, so that probes take about 1/kAbandonWait of the time
            const double slower = seconds / usual;
            phase_              = RUN;
            interval_ =
                std::min<int64_t>(kMaxAbandonWait, std::max<int64_t>(interval_ * 4, (int64_t) (slower * kAbandonWait)));
            wait_ = interval_;
            return;
        }
    }
    if (ref_ == 0) ref_ = n_tokens; // the probe compares decodes of its first decode's batch size
    side & s = phase_ == PROBE_ALT ? alt_side_ : cur_side_;
    s.run++;
    if (n_tokens == ref_) {
        s.seconds += seconds;
        s.decodes++;
    }
    const bool full = s.decodes >= kProbe && s.seconds >= kProbeTime;
    if (!full && s.run < kProbeCap) return;
    if (!full) { // that batch size did not come back: try again soon, without growing the wait
        phase_ = RUN;
        wait_  = kMinInterval;
    } else if (phase_ == PROBE_ALT) {
        phase_ = PROBE_CUR;
    } else {
        finish_probe();
    }
}

void iit_thread_tuner::remember(int32_t n_tokens, double seconds) {
    for (auto & [n, t] : recent_) {
        if (n == n_tokens) {
            t = seconds;
            return;
        }
    }
    if (recent_.size() == kRecentSizes) recent_.erase(recent_.begin());
    recent_.emplace_back(n_tokens, seconds);
}

double iit_thread_tuner::usual_time(int32_t n_tokens) const {
    for (const auto & [n, t] : recent_)
        if (n == n_tokens) return t;
    return 0;
}

void iit_thread_tuner::start_probe() {
    const bool can_up   = cur_ < max_;
    const bool can_down = cur_ > 1;
    alt_                = (up_ && can_up) || !can_down ? cur_ + 1 : cur_ - 1;
    up_                 = !up_;
    const double idle   = idle_cores_();   // asked at every probe: its interval starts at the last one
    if (alt_ > cur_ && idle == kTooSoon) { // it may share a busy core: ask again soon (not a loss)
        wait_ = kMinInterval;
        return;
    }
    if (alt_ > cur_ && idle != kUnknown && idle < kMinIdle) { // it would only share a busy core: lost
        skipped_++;
        wait_after_loss(2);
        return;
    }
    phase_    = PROBE_ALT;
    ref_      = 0;
    alt_side_ = cur_side_ = side{};
}

void iit_thread_tuner::finish_probe() {
    phase_             = RUN;
    const double ratio = (alt_side_.seconds / (double) alt_side_.decodes) /
                         (cur_side_.seconds / (double) cur_side_.decodes); // probed ÷ current time per decode
    if (ratio <= kMargin) {
        cur_      = alt_;
        up_       = !up_; // the next probe checks the same direction once more (the next count, or back)
        interval_ = kMinInterval;
        moves_++;
        recent_.clear(); // times of the count it left
        wait_ = interval_;
    } else {
        // a count that lost by far (a descheduled thread) is tried again later than one that nearly won
        wait_after_loss(ratio >= kFarWorse ? 4 : 2);
    }
}

void iit_thread_tuner::wait_after_loss(int64_t factor) {
    interval_ = std::min(kMaxInterval, interval_ * factor);
    wait_     = interval_;
}

double iit_idle_meter::operator()() {
    static const bool off = [] {
        const char * v = std::getenv("IIT_FREE_CORE_CHECK");
        return v && std::strcmp(v, "0") == 0;
    }();
    if (off) return iit_thread_tuner::kUnknown;
    std::FILE * f = std::fopen("/proc/stat", "r");
    if (!f) return iit_thread_tuner::kUnknown;
    // cpu  user nice system idle iowait irq softirq steal ...  (ticks, all CPUs together)
    long long  v[8] = {};
    const bool ok   = std::fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3], &v[4],
                                  &v[5], &v[6], &v[7]) == 8;
    std::fclose(f);
    if (!ok) return iit_thread_tuner::kUnknown;
    const long long idle  = v[3] + v[4];
    long long       total = 0;
    for (long long x : v) total += x;
    if (total_ >= 0 && total - total_ < kMinTicks) return iit_thread_tuner::kTooSoon; // keep the interval's start
    const double out = total_ < 0 || cpus_ <= 0 ? iit_thread_tuner::kUnknown
                                                : (double) (idle - idle_) / (double) (total - total_) * cpus_;
    idle_            = idle;
    total_           = total;
    return out;
}

int32_t iit_decode_tuned(llama_context * ctx, iit_thread_tuner * tuner, const llama_batch & batch) {
    if (!tuner) return llama_decode(ctx, batch);
    const int32_t n = tuner->next();
    if (n != llama_n_threads(ctx)) llama_set_n_threads(ctx, n, n);
    const auto    t0 = std::chrono::steady_clock::now();
    const int32_t rc = llama_decode(ctx, batch);
    if (rc == 0) {
        tuner->record(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), batch.n_tokens);
    }
    return rc;
}
