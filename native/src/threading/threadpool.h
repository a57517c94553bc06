// A ggml CPU threadpool attached to one llama_context, with the polling level the caller chose.
//
// Without one, ggml creates and joins a disposable pool for every graph, polling at its default level
// of 50: idle threads spin (up to ~6.5 M pause instructions) for the next graph before sleeping, which
// takes a shared core away from whoever else runs there. Poll 0 makes idle threads sleep at once.
#pragma once

#include "llama.h"

#include <cstdint>

class iit_threadpool {
public:
    iit_threadpool() = default;
    ~iit_threadpool();
    iit_threadpool(const iit_threadpool &)             = delete;
    iit_threadpool & operator=(const iit_threadpool &) = delete;

    // Creates the pool (n_threads, poll 0..100) and attaches it to ctx for both single-token and
    // batched decodes; false if ggml could not create it. Free the context before this object.
    bool     attach(llama_context * ctx, int32_t n_threads, uint32_t poll);
    uint32_t poll() const { return poll_; }

private:
    struct ggml_threadpool * pool_ = nullptr;
    uint32_t                 poll_ = 0;
};
