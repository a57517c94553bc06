// The thread tuner's decisions (native/src/threading/thread-tuner.h) on constructed decode times: a
// machine where more threads pay, one where a second thread is descheduled, one that changes between
// the two, one whose busy core is free now and then, batches of changing sizes, a fixed count, and
// machines with no idle core or too little time to tell (probes up skipped).
// Prints "N checks, F failed"; exits non-zero on a failure.
#include "test-helpers.h"
#include "threading/thread-tuner.h"

#include <chrono>
#include <functional>
#include <thread>

namespace {

// Seconds per token at each thread count ([0] = 1 thread), possibly changing with the decode's index.
using machine = std::function<double(int64_t decode, int32_t threads)>;

struct run_result {
    double               seconds = 0; // the whole run's time
    std::vector<int64_t> decodes;     // decodes per thread count
    int32_t              final = 0;
};

run_result run(iit_thread_tuner & t, const machine & m, int64_t n, const std::function<int32_t(int64_t)> & tokens) {
    run_result r;
    for (int64_t i = 0; i < n; i++) {
        const int32_t threads = t.next();
        const int32_t k       = tokens(i);
        const double  s       = m(i, threads) * k;
        r.seconds += s;
        t.record(s, k);
    }
    r.decodes = t.decodes();
    r.final   = t.current();
    return r;
}

int32_t sixteen(int64_t) {
    return 16;
}

} // namespace

int main() {
    // A fixed count: every decode at the start, whatever the times say.
    {
        iit_thread_tuner t(1, 2, false);
        run_result       r = run(
                  t, [](int64_t, int32_t th) { return th == 1 ? 1.0 : 0.1; }, 1000, sixteen);
        CHECK(r.final == 1 && r.decodes[0] == 1000 && r.decodes[1] == 0, "fixed: %lld / %lld decodes at 1 / 2",
              (long long) r.decodes[0], (long long) r.decodes[1]);
        CHECK(!t.adaptive(), "fixed: not adaptive");
    }
    // One core only: nothing to adapt.
    {
        iit_thread_tuner t(1, 1, true);
        CHECK(!t.adaptive(), "one core: not adaptive");
    }
    // A quiet machine where 2 threads take 0.6x the time: it moves up early and stays.
    {
        iit_thread_tuner t(1, 2, true);
        run_result       r = run(
                  t, [](int64_t, int32_t th) { return th == 1 ? 1.0 : 0.6; }, 2000, sixteen);
        CHECK(r.final == 2, "quiet: ends at %d threads", r.final);
        CHECK(r.decodes[1] >= 1900, "quiet: %lld of 2000 decodes at 2 threads", (long long) r.decodes[1]);
        CHECK(t.moves() == 1, "quiet: %lld moves", (long long) t.moves());
    }
    // Starting at 2 on a machine where the second thread is descheduled (10x per token): it moves down.
    {
        iit_thread_tuner t(2, 2, true);
        run_result       r = run(
                  t, [](int64_t, int32_t th) { return th == 1 ? 1.0 : 10.0; }, 2000, sixteen);
        CHECK(r.final == 1, "busy from 2: ends at %d threads", r.final);
    }
    // A busy machine from the start: it stays at 1, and the probes of 2 cost little.
    for (double penalty : { 1.4, 10.0, 100.0 }) {
        iit_thread_tuner t(1, 2, true);
        run_result       r = run(
                  t, [penalty](int64_t, int32_t th) { return th == 1 ? 1.0 : penalty; }, 4000, sixteen);
        const double overhead = r.seconds / (4000.0 * 16) - 1;
        CHECK(r.final == 1 && t.moves() == 0, "busy %.1fx: ends at %d after %lld moves", penalty, r.final,
              (long long) t.moves());
        // a probed decode 3x slower than usual ends its probe, and the wait grows with how much slower it was
        CHECK(overhead <= (penalty > 2 ? 0.03 : 0.01), "busy %.1fx: probes cost %.3f of the run", penalty, overhead);
    }
    // A machine that gets busy after 1000 decodes: it follows, within 600 decodes of the change.
    {
        iit_thread_tuner t(1, 2, true);
        int64_t          back = -1;
        for (int64_t i = 0; i < 3000; i++) {
            const int32_t th = t.next();
            const double  s  = (th == 1 ? 1.0 : (i < 1000 ? 0.6 : 3.0)) * 16;
            t.record(s, 16);
            if (i >= 1000 && back < 0 && t.current() == 1) back = i - 1000;
        }
        CHECK(back >= 0 && back <= 600, "quiet then busy: back at 1 thread %lld decodes after the change",
              (long long) back);
        CHECK(t.current() == 1, "quiet then busy: ends at %d", t.current());
    }
    // A busy machine whose second core is free now and then, for a few millisecond-long decodes (the busy
    // process descheduled): a probe that happens to fall there must not move the tuner to 2 threads for long.
    {
        iit_thread_tuner t(1, 2, true);
        uint32_t         lcg = 12345, gap_at = 0;
        double           seconds = 0;
        for (int64_t i = 0; i < 20000; i++) {
            if (i % 50 == 0) {
                lcg    = lcg * 1664525u + 1013904223u;
                gap_at = (lcg >> 8) % 40;
            }
            const bool    gap = i % 50 >= gap_at && i % 50 < gap_at + 10;
            const int32_t th  = t.next();
            const double  s   = th == 1 ? 1e-3 : (gap ? 0.5e-3 : 3e-3);
            seconds += s;
            t.record(s, 1);
        }
        const double at2 = (double) t.decodes()[1] / 20000.0;
        CHECK(at2 <= 0.05 && t.moves() <= 2, "bursty: %.3f of the decodes on 2 threads (%lld moves), %.1f s", at2,
              (long long) t.moves(), seconds);
    }
    // More cores: it climbs while each step pays and stops at the best count (3 of 4 here).
    {
        iit_thread_tuner t(1, 4, true);
        const double     per_token[] = { 1.0, 0.6, 0.45, 0.5 };
        run_result       r           = run(
                            t, [&](int64_t, int32_t th) { return per_token[th - 1]; }, 4000, sixteen);
        CHECK(r.final == 3, "4 cores: ends at %d threads", r.final);
    }
    // Batches of two sizes in turn: each probe compares decodes of one size, and it moves to the faster count.
    {
        iit_thread_tuner t(1, 2, true);
        run_result       r = run(
                  t, [](int64_t, int32_t th) { return th == 1 ? 1.0 : 0.5; }, 2000,
                  [](int64_t i) { return (int32_t) (i % 2 == 0 ? 1 : 32); });
        CHECK(r.final == 2 && t.moves() == 1, "two sizes: ends at %d after %lld moves", r.final, (long long) t.moves());
    }
    // A batch size that never comes back (one more token every decode): no probe compares, nothing moves.
    {
        iit_thread_tuner t(1, 2, true);
        run_result       r = run(
                  t, [](int64_t, int32_t th) { return th == 1 ? 1.0 : 0.5; }, 2000,
                  [](int64_t i) { return (int32_t) (1 + i); });
        CHECK(r.final == 1 && t.moves() == 0, "growing sizes: ends at %d after %lld moves", r.final,
              (long long) t.moves());
    }
    // No idle core (one busy process on 2 cores), where 2 threads would be slow: every probe up is skipped,
    // so no decode runs at 2 threads; the skipped probes wait as lost ones do.
    {
        int32_t          asked = 0;
        iit_thread_tuner t(1, 2, true, [&] {
            asked++;
            return 0.1;
        });
        run_result       r = run(
                  t, [](int64_t, int32_t th) { return th == 1 ? 1.0 : 10.0; }, 4000, sixteen);
        CHECK(r.final == 1 && r.decodes[1] == 0, "no idle core: %lld decodes at 2 threads", (long long) r.decodes[1]);
        CHECK(t.skipped() >= 8 && t.skipped() <= 14, "no idle core: %lld probes skipped", (long long) t.skipped());
        CHECK(asked == t.skipped() + 1, "no idle core: asked %d times for %lld probes", asked, (long long) t.skipped());
    }
    // Half a core idle or more: the probe runs, and on a quiet machine it moves up.
    {
        iit_thread_tuner t(1, 2, true, [] { return 0.5; });
        run_result       r = run(
                  t, [](int64_t, int32_t th) { return th == 1 ? 1.0 : 0.6; }, 2000, sixteen);
        CHECK(r.final == 2 && t.skipped() == 0, "an idle core: ends at %d threads, %lld probes skipped", r.final,
              (long long) t.skipped());
    }
    // No idle core does not keep it at 2 threads where 1 is faster (a probe down runs), and unknown (no
    // /proc/stat) probes as before.
    {
        iit_thread_tuner t(2, 2, true, [] { return 0.0; });
        run(
            t, [](int64_t, int32_t th) { return th == 1 ? 1.0 : 10.0; }, 2000, sixteen);
        CHECK(t.current() == 1, "from 2 with no idle core: moves down to %d", t.current());
        iit_thread_tuner u(1, 2, true, [] { return iit_thread_tuner::kUnknown; });
        run_result       r = run(
                  u, [](int64_t, int32_t th) { return th == 1 ? 1.0 : 0.6; }, 2000, sixteen);
        CHECK(r.final == 2 && u.skipped() == 0, "unknown: ends at %d threads", r.final);
    }
    // Too soon to tell (a short job's first probes, under 20 ticks of CPU time): a probe up waits and asks
    // again (not a lost probe), so a job shorter than that never runs a decode at 2 threads; once the meter
    // tells of an idle core, the probe runs and moves up.
    {
        int32_t          asked = 0;
        iit_thread_tuner t(1, 2, true, [&] {
            asked++;
            return iit_thread_tuner::kTooSoon;
        });
        run_result       r = run(
                  t, [](int64_t, int32_t th) { return th == 1 ? 1.0 : 0.6; }, 200, sixteen);
        CHECK(r.decodes[1] == 0 && t.skipped() == 0 && asked == 14, // at the start, then every 16 decodes from the 8th
              "too soon: %lld decodes at 2 threads, %lld probes skipped, asked %d times", (long long) r.decodes[1],
              (long long) t.skipped(), asked);
        asked = 0;
        iit_thread_tuner u(1, 2, true, [&] { return ++asked <= 3 ? iit_thread_tuner::kTooSoon : 1.0; });
        r = run(
            u, [](int64_t, int32_t th) { return th == 1 ? 1.0 : 0.6; }, 200, sixteen);
        CHECK(r.final == 2 && u.skipped() == 0 && r.decodes[1] >= 100,
              "too soon, then idle: ends at %d threads, %lld probes skipped, %lld decodes at 2", r.final,
              (long long) u.skipped(), (long long) r.decodes[1]);
    }
    // The real meter: unknown at first, then idle cores within [0, CPUs] once enough CPU time has passed
    // (this thread spins for 300 ms meanwhile, so at most CPUs - 1 of them can have been idle).
    {
        iit_idle_meter m;
        const double   first = m();
        const double   soon  = m(); // no CPU time has passed
        const auto     t0    = std::chrono::steady_clock::now();
        while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(300)) {}
        const double  idle = m();
        const int32_t cpus = (int32_t) std::thread::hardware_concurrency();
        std::FILE *   f    = std::fopen("/proc/stat", "r");
        const bool    proc = f != nullptr;
        if (f) std::fclose(f);
        CHECK(first == iit_thread_tuner::kUnknown, "meter: first reading %.2f", first);
        CHECK(soon == (proc ? iit_thread_tuner::kTooSoon : iit_thread_tuner::kUnknown), "meter: at once %.2f", soon);
        CHECK(idle == -1.0 || (idle >= 0 && idle <= cpus - 0.5), "meter: %.2f idle cores of %d", idle, cpus);
    }
    printf("%d checks, %d failed\n", g_checks, g_failed);
    return g_failed == 0 ? 0 : 1;
}
