// The thread count of each decode of one context, chosen from how long the decodes before it took.
//
// How many threads pay depends on the machine at that moment, not only on the model: on 2 quiet cores
// two threads generate the lab's base 1.5x faster than one, while beside one busy process the second
// thread is descheduled and the other spins at every barrier (2 threads 1.4x slower there, up to 11x
// on a machine shared with many processes). So the tuner runs at its current count and, now and then,
// probes a neighbouring count: a block of decodes there, then a block at the current count, each until
// it holds kProbe decodes of the probe's first batch size and kProbeTime seconds of them, and it moves
// when that batch took at most kMargin of the time at the probed count. Blocks, not alternating
// decodes: a thread woken after a long sleep is favoured by the scheduler for a moment, so a count
// visited for one decode looks better than it runs. A probe that loses doubles the wait before the next
// (quadruples it when it lost by far; up to kMaxInterval decodes), and a probed decode kAbandon times
// slower than the current count's last one of its size ends the probe at once, so a loaded machine
// pays for few and short probes. A probe that would add a thread first asks how many cores stood idle
// since the last probe (on Linux: idle time in /proc/stat); when less than kMinIdle of one did, the
// probe is skipped as a lost one: its decodes would only share a core with a process that keeps it busy.
// A probe up before the meter can tell (too little CPU time since the last reading) waits kMinInterval
// decodes and asks again: beside a busy process the first probe of a short job cost it 2-4x its time in
// one descheduled decode.
// Idle time over the interval, not a snapshot of runnable threads: a snapshot taken right after a decode
// can catch this process's own threads waking (the JS thread that takes the result).
// Thread counts do not change results: ggml computes every output element on one thread in the same order.
// The tuner itself is arithmetic on the times it is given; iit_decode_tuned applies and times it.
#pragma once

#include "llama.h"

#include <cstdint>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

class iit_thread_tuner {
public:
    static constexpr int32_t kProbe     = 3;     // decodes of the probe's batch size in each block, at least
    static constexpr double  kProbeTime = 0.03;  // seconds of them in each block, at least: several scheduler
                                                 // slices, so a moment when a busy core is free decides nothing
    static constexpr int64_t kProbeCap    = 256; // decodes in a block before a probe whose batch size is gone gives up
    static constexpr int64_t kFirst       = 8;   // decodes before the first probe (warm-up excluded)
    static constexpr int64_t kMinInterval = 16;  // decodes between probes after a move
    static constexpr int64_t kMaxInterval = 512; // the longest wait between probes
    static constexpr double  kMargin      = 0.9; // move when the probed count's time per decode is <= 0.9x
    static constexpr double  kFarWorse    = 1.5; // a probe this much slower quadruples the wait (else doubles)
    static constexpr double  kAbandon     = 3.0; // a probed decode this much slower ends the probe at once,
    static constexpr double  kAbandonWait = 50;  // and the next waits this many decodes per x it was slower,
    static constexpr int64_t kMaxAbandonWait = 8192; // up to this many
    static constexpr size_t  kRecentSizes    = 8;    // batch sizes whose last time at the current count it keeps
    static constexpr double  kMinIdle        = 0.5;  // idle cores since the last probe that a probe up needs

    // Cores that stood idle (on average) since its last call; kUnknown when it never can tell (no probe is
    // skipped), kTooSoon when it cannot tell yet (a probe up waits).
    using idle_cores_fn              = std::function<double()>;
    static constexpr double kUnknown = -1;
    static constexpr double kTooSoon = -2;

    // Starts at `start` threads and moves within [1, max_threads]; with adapt false it stays at `start`.
    // `idle_cores` (none: unknown, every probe runs) is asked at every probe.
    iit_thread_tuner(int32_t start, int32_t max_threads, bool adapt, idle_cores_fn idle_cores = nullptr);

    int32_t next() const { return phase_ == PROBE_ALT ? alt_ : cur_; } // threads for the next decode
    void    record(double seconds, int32_t n_tokens);                  // the decode just run at next()'s count
    int32_t current() const { return cur_; }
    int32_t max_threads() const { return max_; }
    bool    adaptive() const { return adapt_; }
    // decodes run at each count: [0] = 1 thread, … [max - 1] = max threads
    const std::vector<int64_t> & decodes() const { return decodes_; }
    int64_t                      moves() const { return moves_; }
    int64_t                      skipped() const { return skipped_; } // probes up skipped: no idle core

private:
    enum phase_t {
        RUN,
        PROBE_ALT,
        PROBE_CUR
    };
    struct side {                     // one block of a probe
        double  seconds = 0;          // of its decodes of the probe's batch size
        int64_t decodes = 0, run = 0; // those decodes; all its decodes
    };
    void   start_probe();
    void   finish_probe();
    void   wait_after_loss(int64_t factor); // the wait before the next probe grows by factor (up to kMaxInterval)
    void   remember(int32_t n_tokens, double seconds);
    double usual_time(int32_t n_tokens) const; // the current count's last time for that batch size, or 0

    int32_t                                 cur_, max_;
    bool                                    adapt_;
    phase_t                                 phase_ = RUN;
    int32_t                                 alt_   = 0;
    int32_t                                 ref_   = 0;    // the probe's batch size (tokens per decode)
    bool                                    up_    = true; // the next probe goes up (else down) when both are possible
    int64_t                                 wait_, interval_ = kMinInterval;
    side                                    alt_side_, cur_side_;
    std::vector<int64_t>                    decodes_;
    int64_t                                 moves_ = 0, skipped_ = 0;
    idle_cores_fn                           idle_cores_;
    std::vector<std::pair<int32_t, double>> recent_; // (batch size, seconds) at the current count
};

// A meter of idle cores for the tuner: the idle and iowait time of /proc/stat since its last call, in
// cores. kUnknown at the first call, where there is no /proc/stat, or with IIT_FREE_CORE_CHECK=0;
// kTooSoon over less than kMinTicks of CPU time (its 10 ms ticks say little), keeping the interval's start.
class iit_idle_meter {
public:
    static constexpr long long kMinTicks = 20;
    double                     operator()();

private:
    long long     idle_ = -1, total_ = -1;
    const int32_t cpus_ = (int32_t) std::thread::hardware_concurrency(); // /proc/stat's ticks are of all of them
};

// llama_decode at the tuner's thread count (none: the context's own), timed for it. Same return code.
int32_t iit_decode_tuned(llama_context * ctx, iit_thread_tuner * tuner, const llama_batch & batch);
