#pragma once

#include <napi.h>

#include "addon/generate-worker.h"
#include "llama.h"
#include "threading/thread-tuner.h"
#include "threading/threadpool.h"

#include <memory>

class AddonModel;

// A llama_context with its LoRA set applied: the KV cache that generate() decodes into.
class AddonContext : public Napi::ObjectWrap<AddonContext> {
public:
    static Napi::Function Init(Napi::Env env);
    explicit AddonContext(const Napi::CallbackInfo & info);
    ~AddonContext() override;

    llama_context * ctx     = nullptr;
    AddonModel *    owner   = nullptr;
    bool            running = false;
    // The thread count of each decode (fixed at nThreads unless the context adapts); read by the workers.
    std::unique_ptr<iit_thread_tuner> tuner;
    // The running generate()'s intake for appended prompts (continuous batching); null when none runs.
    std::shared_ptr<iit_gen_intake> intake;

private:
    Napi::Value                     Generate(const Napi::CallbackInfo & info);
    Napi::Value                     Append(const Napi::CallbackInfo & info);
    Napi::Value                     Drop(const Napi::CallbackInfo & info);
    Napi::Value                     Score(const Napi::CallbackInfo & info);
    Napi::Value                     Info(const Napi::CallbackInfo & info);
    Napi::Value                     Dispose(const Napi::CallbackInfo & info);
    void                            free_ctx();
    void                            check_idle(Napi::Env env) const; // throws DISPOSED / INVALID_STATE
    Napi::ObjectReference           model_ref_;
    int64_t                         held_bytes_ = 0; // the KV cache's size, reported to V8 as external memory
    std::unique_ptr<iit_threadpool> pool_;           // freed after ctx
};
