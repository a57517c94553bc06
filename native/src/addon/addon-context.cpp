#include "addon/addon-context.h"

#include "addon/addon-model.h"
#include "addon/engine-args.h"
#include "addon/errors.h"
#include "addon/external-memory.h"
#include "addon/generate-worker.h"
#include "addon/log.h"
#include "addon/score-worker.h"

#include <algorithm>
#include <string>
#include <vector>

Napi::Function AddonContext::Init(Napi::Env env) {
    return DefineClass(env, "AddonContext",
                       {
                           InstanceMethod("generate", &AddonContext::Generate),
                           InstanceMethod("score", &AddonContext::Score),
                           InstanceMethod("info", &AddonContext::Info),
                           InstanceMethod("append", &AddonContext::Append),
                           InstanceMethod("drop", &AddonContext::Drop),
                           InstanceMethod("dispose", &AddonContext::Dispose),
                       });
}

// new AddonContext(model, {nCtx, nSeq, nBatch, nThreads, maxThreads?, poll, kvF32, loras: [{index, scale}]}):
// with maxThreads, each decode's thread count adapts within [1, maxThreads], starting at nThreads
// (threading/thread-tuner.h); without it, every decode runs on nThreads.
AddonContext::AddonContext(const Napi::CallbackInfo & info) : Napi::ObjectWrap<AddonContext>(info) {
    Napi::Env            env = info.Env();
    AddonModel *         m   = iit_unwrap_model(info[0], "new AddonContext: model");
    IitJsObject          o(info[1], "new AddonContext: opts");
    const bool           f32  = o.flag("kvF32");
    iit_lora_set         set  = iit_js_lora_set(o.get("loras"), o.field("loras"), m->loras);
    const uint32_t       poll = o.uint32("poll");
    llama_context_params p    = llama_context_default_params();
    p.n_ctx                   = o.uint32("nCtx");
    p.n_seq_max               = o.uint32("nSeq");
    p.n_batch                 = o.uint32("nBatch");
    p.n_ubatch                = p.n_batch;
    p.n_threads               = o.int32("nThreads");
    p.n_threads_batch         = p.n_threads;
    const int32_t max_threads = o.has("maxThreads") ? o.int32("maxThreads") : p.n_threads;
    if (p.n_threads < 1 || max_threads < p.n_threads) {
        throw iit_error(env, "INVALID_ARGUMENT",
                        "new AddonContext: opts.nThreads must be >= 1 and opts.maxThreads >= nThreads, got " +
                            std::to_string(p.n_threads) + " and " + std::to_string(max_threads));
    }
    p.kv_unified = false; // each sequence gets n_ctx / n_seq of its own
    p.no_perf    = true;
    if (f32) {
        // Exact scoring (training's loss equals it to ~1e-6): F32 K/V and no flash attention, which
        // would cast K/V back to F16.
        p.type_k          = GGML_TYPE_F32;
        p.type_v          = GGML_TYPE_F32;
        p.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    }
    iit_log_clear_errors();
    ctx = llama_init_from_model(m->model, p);
    if (!ctx) {
        std::string why = iit_log_take_errors();
        throw iit_error(env, "CONTEXT_FAILED",
                        "llama.cpp could not create a context of " + std::to_string(p.n_ctx) + " tokens" +
                            (why.empty() ? "" : ": " + why));
    }
    pool_ = std::make_unique<iit_threadpool>();
    // The pool holds the most threads a decode may use; a decode with fewer leaves the rest asleep.
    if (!pool_->attach(ctx, max_threads, poll)) {
        free_ctx();
        throw iit_error(env, "CONTEXT_FAILED",
                        "ggml could not start a pool of " + std::to_string(max_threads) + " threads");
    }
    tuner = std::make_unique<iit_thread_tuner>(p.n_threads, max_threads, o.has("maxThreads"), iit_idle_meter());
    if (!set.adapters.empty() &&
        llama_set_adapters_lora(ctx, set.adapters.data(), set.adapters.size(), set.scales.data()) != 0) {
        free_ctx();
        throw iit_error(env, "LORA_INCOMPATIBLE", "llama.cpp refused the LoRA set for this context");
    }
    owner = m;
    owner->busy++;
    // The KV cache dominates a context's memory: K and V per layer, per cell, per KV head dimension.
    const llama_model * lm = m->model;
    const int64_t       kv_dim =
        (int64_t) llama_model_n_embd(lm) * llama_model_n_head_kv(lm) / std::max(1, llama_model_n_head(lm));
    held_bytes_ = 2 * (int64_t) llama_model_n_layer(lm) * llama_n_ctx(ctx) * kv_dim * (f32 ? 4 : 2);
    iit_external_adjust(env, held_bytes_);
    model_ref_ = Napi::Persistent(info[0].As<Napi::Object>());
}

AddonContext::~AddonContext() {
    free_ctx();
}

void AddonContext::free_ctx() {
    if (ctx) llama_free(ctx);
    ctx = nullptr;
    pool_.reset();
    tuner.reset();
    iit_external_adjust(Env(), -held_bytes_);
    held_bytes_ = 0;
    if (owner) owner->busy--;
    owner = nullptr;
}

void AddonContext::check_idle(Napi::Env env) const {
    if (!ctx) throw iit_error(env, "DISPOSED", "the context was disposed");
    if (running) throw iit_error(env, "INVALID_STATE", "this context is busy; wait for it or use another context");
}

Napi::Value AddonContext::Info(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (!ctx) throw iit_error(env, "DISPOSED", "the context was disposed");
    Napi::Object o = Napi::Object::New(env);
    o.Set("nCtx", llama_n_ctx(ctx));
    o.Set("nCtxSeq", llama_n_ctx_seq(ctx));
    o.Set("nSeq", llama_n_seq_max(ctx));
    o.Set("nBatch", llama_n_batch(ctx));
    o.Set("nThreads", llama_n_threads(ctx));
    o.Set("poll", pool_ ? pool_->poll() : 0);
    o.Set("maxThreads", tuner->max_threads());
    o.Set("adaptive", tuner->adaptive());
    Napi::Array decodes = Napi::Array::New(env, tuner->decodes().size()); // decodes run with 1, 2, … threads
    for (size_t i = 0; i < tuner->decodes().size(); i++) decodes.Set(i, (double) tuner->decodes()[i]);
    o.Set("decodesByThreads", decodes);
    o.Set("threadMoves", (double) tuner->moves());
    return o;
}

// generate(prompts, opts, onEvent, abortFlag) -> Promise<result[]> (generate-worker.h)
Napi::Value AddonContext::Generate(const Napi::CallbackInfo & info) {
    check_idle(info.Env());
    Napi::Promise promise = iit_generate_js(this, info);
    running               = true;
    return promise;
}

// append(prompts) -> first index or -1; drop(index) (generate-worker.h)
Napi::Value AddonContext::Append(const Napi::CallbackInfo & info) {
    if (!ctx) throw iit_error(info.Env(), "DISPOSED", "the context was disposed");
    return iit_generate_append_js(this, info);
}

Napi::Value AddonContext::Drop(const Napi::CallbackInfo & info) {
    if (!ctx) throw iit_error(info.Env(), "DISPOSED", "the context was disposed");
    return iit_generate_drop_js(this, info);
}

// score(seqs, from, topK, abortFlag, rules?) -> Promise<{tokenLogprobs, top}[]> (score-worker.h)
Napi::Value AddonContext::Score(const Napi::CallbackInfo & info) {
    check_idle(info.Env());
    Napi::Promise promise = iit_score_js(this, info);
    running               = true;
    return promise;
}

Napi::Value AddonContext::Dispose(const Napi::CallbackInfo & info) {
    if (running)
        throw iit_error(info.Env(), "INVALID_STATE", "the context is generating; abort it and wait before disposing");
    free_ctx();
    model_ref_.Reset();
    return info.Env().Undefined();
}
