#include "addon/addon-context.h"

#include "addon/addon-model.h"
#include "addon/errors.h"
#include "addon/external-memory.h"
#include "addon/log.h"
#include "generation/batch-generator.h"
#include "generation/scorer.h"
#include "sampling/chain.h"
#include "sampling/experts-sampler.h"
#include "sampling/rules-sampler.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

namespace {

struct gen_event {
    bool               done  = false;
    bool               is_lp = false; // a token's logprobs
    size_t             index = 0;
    llama_token        token = 0;
    iit_gen_result     result;
    iit_token_logprobs lp;
};

// {token, logprob, top: Float32Array [id, logprob, id, logprob, …]}
Napi::Object logprobs_to_js(Napi::Env env, const iit_token_logprobs & lp) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("token", lp.token);
    o.Set("logprob", lp.logprob);
    Napi::Float32Array top = Napi::Float32Array::New(env, lp.top.size() * 2);
    for (size_t i = 0; i < lp.top.size(); i++) {
        top[2 * i]     = (float) lp.top[i].first;
        top[2 * i + 1] = lp.top[i].second;
    }
    o.Set("top", top);
    return o;
}

Napi::Object result_to_js(Napi::Env env, const iit_gen_result & r) {
    Napi::Object     o    = Napi::Object::New(env);
    Napi::Int32Array toks = Napi::Int32Array::New(env, r.tokens.size());
    std::copy(r.tokens.begin(), r.tokens.end(), toks.Data());
    o.Set("tokens", toks);
    o.Set("text", Napi::String::New(env, r.text));
    o.Set("stopReason", iit_stop_reason_name(r.reason));
    o.Set("nPrompt", r.n_prompt);
    return o;
}

// Runs iit_generate off the JS thread; events (tokens when streaming, every finished prompt)
// are queued and delivered to onEvent(kind, index, tokenOrResult) on the JS thread.
class GenerateWorker : public Napi::AsyncProgressQueueWorker<char> {
public:
    GenerateWorker(Napi::Env env, AddonContext * self, Napi::Object js, Napi::Function on_event,
                   Napi::Int32Array abort_flag) :
        Napi::AsyncProgressQueueWorker<char>(env),
        self_(self),
        deferred_(Napi::Promise::Deferred::New(env)) {
        js_ref_    = Napi::Persistent(js);
        abort_ref_ = Napi::Persistent(abort_flag);
        abort_     = reinterpret_cast<volatile int32_t *>(abort_flag.Data());
        n_flags_   = abort_flag.ElementLength();
        if (!on_event.IsEmpty()) on_event_ = Napi::Persistent(on_event);
    }
    Napi::Promise Promise() { return deferred_.Promise(); }

    std::vector<std::vector<llama_token>> prompts;
    iit_gen_params                        gen;
    iit_sampling_params                   sampling;
    bool                                  has_rules = false;
    iit_rules_params                      rules;
    iit_experts                           experts;
    std::vector<Napi::ObjectReference>    expert_refs; // keep expert contexts alive while running

    void Execute(const ExecutionProgress & progress) override {
        iit_gen_callbacks cb;
        const bool        notify = !on_event_.IsEmpty();
        auto              push   = [&](gen_event && e) {
            {
                std::lock_guard<std::mutex> lock(mutex_);
                events_.push_back(std::move(e));
            }
            progress.Signal();
        };
        if (notify) {
            cb.on_token = [&](size_t i, llama_token t) {
                gen_event e;
                e.index = i;
                e.token = t;
                push(std::move(e));
            };
            cb.on_done = [&](size_t i, const iit_gen_result & r) {
                gen_event e;
                e.done   = true;
                e.index  = i;
                e.result = r;
                push(std::move(e));
            };
            cb.on_logprobs = [&](size_t i, const iit_token_logprobs & lp) {
                gen_event e;
                e.is_lp = true;
                e.index = i;
                e.lp    = lp;
                push(std::move(e));
            };
        }
        gen.logprobs_rules             = has_rules ? &rules : nullptr;
        const llama_vocab * vocab      = self_->owner->vocab();
        auto                make_chain = [&](const std::vector<llama_token> & prompt) {
            std::vector<llama_sampler *> adapters;
            if (has_rules) adapters.push_back(iit_sampler_init_rules(vocab, rules));
            if (!experts.ctxs.empty()) adapters.push_back(iit_sampler_init_experts(&experts));
            llama_sampler * chain = iit_chain_init(sampling, adapters);
            if (has_rules) iit_rules_set_prompt(chain, prompt.data(), prompt.size());
            return chain;
        };
        auto should_abort = [&]() { return *abort_ != 0; };
        // abortFlag[1 + i] != 0: prompt i alone is dropped (a flag of length 1 has none)
        if (n_flags_ > 1) cb.stopped = [&](size_t i) { return i + 1 < n_flags_ && abort_[i + 1] != 0; };
        gen.experts       = experts.ctxs;
        gen.expert_row    = &experts.row;
        iit_gen_status st = iit_generate(self_->ctx, prompts, gen, make_chain, should_abort, cb, results_);
        if (!st.code.empty()) {
            code_ = st.code;
            SetError(st.message);
        }
    }
    void OnProgress(const char *, size_t) override { drain(); }
    void OnOK() override {
        drain();
        self_->running  = false;
        Napi::Env   env = Env();
        Napi::Array out = Napi::Array::New(env, results_.size());
        for (size_t i = 0; i < results_.size(); i++) out.Set(i, result_to_js(env, results_[i]));
        deferred_.Resolve(out);
    }
    void OnError(const Napi::Error & e) override {
        drain();
        self_->running = false;
        deferred_.Reject(iit_error(Env(), code_, e.Message()).Value());
    }

private:
    void drain() {
        std::vector<gen_event> evs;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            evs.swap(events_);
        }
        if (on_event_.IsEmpty()) return;
        Napi::Env         env = Env();
        Napi::HandleScope scope(env);
        for (auto & e : evs) {
            if (e.done)
                on_event_.Call({ Napi::String::New(env, "done"), Napi::Number::New(env, (double) e.index),
                                 result_to_js(env, e.result) });
            else if (e.is_lp)
                on_event_.Call({ Napi::String::New(env, "logprobs"), Napi::Number::New(env, (double) e.index),
                                 logprobs_to_js(env, e.lp) });
            else
                on_event_.Call({ Napi::String::New(env, "token"), Napi::Number::New(env, (double) e.index),
                                 Napi::Number::New(env, e.token) });
        }
    }
    AddonContext *                    self_;
    Napi::Promise::Deferred           deferred_;
    Napi::ObjectReference             js_ref_;
    Napi::Reference<Napi::Int32Array> abort_ref_;
    volatile int32_t *                abort_;
    size_t                            n_flags_ = 1;
    Napi::FunctionReference           on_event_;
    std::mutex                        mutex_;
    std::vector<gen_event>            events_;
    std::vector<iit_gen_result>       results_;
    std::string                       code_ = "GENERATION_FAILED";
};

class ScoreWorker : public IitWorker {
public:
    ScoreWorker(Napi::Env env, AddonContext * self, Napi::Object js, Napi::Int32Array abort_flag) :
        IitWorker(env),
        self_(self) {
        js_ref_    = Napi::Persistent(js);
        abort_ref_ = Napi::Persistent(abort_flag);
        abort_     = reinterpret_cast<volatile int32_t *>(abort_flag.Data());
    }
    std::vector<std::vector<llama_token>> seqs;
    std::vector<int32_t>                  from;
    int32_t                               top_k     = 0;
    bool                                  has_rules = false;
    iit_rules_params                      rules;

    void Execute() override {
        std::string err = iit_score(
            self_->ctx, seqs, from, top_k, [&]() { return *abort_ != 0; }, out_, has_rules ? &rules : nullptr);
        if (!err.empty()) Fail(err == "aborted" ? "ABORTED" : "SCORING_FAILED", err);
    }
    void OnOK() override {
        self_->running  = false;
        Napi::Env   env = Env();
        Napi::Array arr = Napi::Array::New(env, out_.size());
        for (size_t i = 0; i < out_.size(); i++) {
            Napi::Object       o  = Napi::Object::New(env);
            Napi::Float32Array lp = Napi::Float32Array::New(env, out_[i].token_logprobs.size());
            std::copy(out_[i].token_logprobs.begin(), out_[i].token_logprobs.end(), lp.Data());
            o.Set("tokenLogprobs", lp);
            // Flat [id, logprob, id, logprob, ...] per position: cheap to cross the boundary.
            Napi::Array top = Napi::Array::New(env, out_[i].top.size());
            for (size_t p = 0; p < out_[i].top.size(); p++) {
                const auto &       row  = out_[i].top[p];
                Napi::Float64Array flat = Napi::Float64Array::New(env, row.size() * 2);
                for (size_t k = 0; k < row.size(); k++) {
                    flat[2 * k]     = row[k].first;
                    flat[2 * k + 1] = row[k].second;
                }
                top.Set(p, flat);
            }
            o.Set("top", top);
            arr.Set(i, o);
        }
        deferred_.Resolve(arr);
    }
    void OnError(const Napi::Error & e) override {
        self_->running = false;
        IitWorker::OnError(e);
    }

private:
    AddonContext *                    self_;
    Napi::ObjectReference             js_ref_;
    Napi::Reference<Napi::Int32Array> abort_ref_;
    volatile int32_t *                abort_;
    std::vector<iit_score_result>     out_;
};

// Token sequences from JS, each id checked against the vocabulary before any native work.
std::vector<std::vector<llama_token>> read_token_seqs(Napi::Env env, Napi::Array arr, int32_t n_vocab,
                                                      const char * what) {
    std::vector<std::vector<llama_token>> out;
    for (uint32_t i = 0; i < arr.Length(); i++) {
        Napi::Int32Array a = arr.Get(i).As<Napi::Int32Array>();
        out.emplace_back(a.Data(), a.Data() + a.ElementLength());
        for (llama_token t : out.back()) {
            if (t < 0 || t >= n_vocab) {
                throw iit_error(env, "INVALID_TOKEN",
                                std::string(what) + " " + std::to_string(i) + " has token id " + std::to_string(t) +
                                    " outside the vocabulary");
            }
        }
    }
    return out;
}

// The rule adapter's settings as resolved by src/rules (token ids, not text).
std::string parse_rules(Napi::Object r, iit_rules_params & p) {
    auto         num = [&](Napi::Object o, const char * k) { return o.Get(k).As<Napi::Number>(); };
    Napi::Object eos = r.Get("eos").As<Napi::Object>();
    p.eos_enabled    = eos.Get("enabled").ToBoolean();
    p.eos_slope      = num(eos, "slope").FloatValue();
    p.eos_start      = num(eos, "start").Int32Value();
    p.eos_end        = num(eos, "end").Int32Value();
    p.eos_mode =
        eos.Get("after").As<Napi::String>().Utf8Value() == "hold" ? IIT_RULES_EOS_MODE_HOLD : IIT_RULES_EOS_MODE_RESET;
    p.eos_hard_after    = eos.Get("hardStopAfter").IsNumber() ? num(eos, "hardStopAfter").Int32Value() : -1;
    p.eos_hard_score    = num(eos, "hardStopScore").FloatValue();
    Napi::Array eos_ids = r.Get("eosIds").As<Napi::Array>();
    for (uint32_t i = 0; i < eos_ids.Length(); i++) {
        p.eos_ids.push_back(eos_ids.Get(i).As<Napi::Number>().Int32Value());
    }
    Napi::Object rep     = r.Get("repetition").As<Napi::Object>();
    p.rep_enabled        = rep.Get("enabled").ToBoolean();
    p.rep_score          = num(rep, "penalty").FloatValue();
    p.rep_scope          = rep.Get("scope").As<Napi::String>().Utf8Value() == "response" ? IIT_RULES_REP_SCOPE_RESPONSE
                                                                                         : IIT_RULES_REP_SCOPE_AFTER_USER_TAG;
    Napi::Int32Array tag = r.Get("userTag").As<Napi::Int32Array>();
    p.user_tag.assign(tag.Data(), tag.Data() + tag.ElementLength());
    Napi::Object fixed = r.Get("tokens").As<Napi::Object>();
    p.fixed_enabled    = fixed.Get("enabled").ToBoolean();
    Napi::Array ids    = fixed.Get("ids").As<Napi::Array>();
    Napi::Array scores = fixed.Get("scores").As<Napi::Array>();
    if (ids.Length() != scores.Length()) return "rules.tokens: ids and scores differ in length";
    for (uint32_t i = 0; i < ids.Length(); i++) {
        p.fixed.push_back(
            { ids.Get(i).As<Napi::Number>().Int32Value(), scores.Get(i).As<Napi::Number>().FloatValue() });
    }
    p.start_enabled = r.Get("start").As<Napi::Object>().Get("enabled").ToBoolean();
    return "";
}

} // namespace

Napi::Function AddonContext::Init(Napi::Env env) {
    return DefineClass(env, "AddonContext",
                       {
                           InstanceMethod("generate", &AddonContext::Generate),
                           InstanceMethod("score", &AddonContext::Score),
                           InstanceMethod("info", &AddonContext::Info),
                           InstanceMethod("dispose", &AddonContext::Dispose),
                       });
}

// new AddonContext(model, {nCtx, nSeq, nBatch, nThreads, poll, kvF32, loras: [{index, scale}]})
AddonContext::AddonContext(const Napi::CallbackInfo & info) : Napi::ObjectWrap<AddonContext>(info) {
    Napi::Env    env = info.Env();
    AddonModel * m   = iit_unwrap_model(info[0]);
    if (!m) return;
    Napi::Object         o = info[1].As<Napi::Object>();
    llama_context_params p = llama_context_default_params();
    p.n_ctx                = o.Get("nCtx").As<Napi::Number>().Uint32Value();
    p.n_seq_max            = o.Get("nSeq").As<Napi::Number>().Uint32Value();
    p.n_batch              = o.Get("nBatch").As<Napi::Number>().Uint32Value();
    p.n_ubatch             = p.n_batch;
    p.n_threads            = o.Get("nThreads").As<Napi::Number>().Int32Value();
    p.n_threads_batch      = p.n_threads;
    p.kv_unified           = false; // each sequence gets n_ctx / n_seq of its own
    p.no_perf              = true;
    if (o.Get("kvF32").ToBoolean()) {
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
        iit_error(env, "CONTEXT_FAILED",
                  "llama.cpp could not create a context of " + std::to_string(p.n_ctx) + " tokens" +
                      (why.empty() ? "" : ": " + why))
            .ThrowAsJavaScriptException();
        return;
    }
    pool_ = std::make_unique<iit_threadpool>();
    if (!pool_->attach(ctx, p.n_threads, o.Get("poll").As<Napi::Number>().Uint32Value())) {
        free_ctx();
        iit_error(env, "CONTEXT_FAILED", "ggml could not start a pool of " + std::to_string(p.n_threads) + " threads")
            .ThrowAsJavaScriptException();
        return;
    }
    Napi::Array                       loras = o.Get("loras").As<Napi::Array>();
    std::vector<llama_adapter_lora *> adapters;
    std::vector<float>                scales;
    for (uint32_t i = 0; i < loras.Length(); i++) {
        Napi::Object l   = loras.Get(i).As<Napi::Object>();
        uint32_t     idx = l.Get("index").As<Napi::Number>().Uint32Value();
        if (idx >= m->loras.size()) {
            free_ctx();
            iit_error(env, "INVALID_ARGUMENT", "no LoRA adapter with index " + std::to_string(idx))
                .ThrowAsJavaScriptException();
            return;
        }
        adapters.push_back(m->loras[idx]);
        scales.push_back(l.Get("scale").As<Napi::Number>().FloatValue());
    }
    if (!adapters.empty() && llama_set_adapters_lora(ctx, adapters.data(), adapters.size(), scales.data()) != 0) {
        free_ctx();
        iit_error(env, "LORA_INCOMPATIBLE", "llama.cpp refused the LoRA set for this context")
            .ThrowAsJavaScriptException();
        return;
    }
    owner = m;
    owner->busy++;
    // The KV cache dominates a context's memory: K and V per layer, per cell, per KV head dimension.
    const llama_model * lm = m->model;
    const int64_t       kv_dim =
        (int64_t) llama_model_n_embd(lm) * llama_model_n_head_kv(lm) / std::max(1, llama_model_n_head(lm));
    held_bytes_ =
        2 * (int64_t) llama_model_n_layer(lm) * llama_n_ctx(ctx) * kv_dim * (o.Get("kvF32").ToBoolean() ? 4 : 2);
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
    return o;
}

// generate(prompts: Int32Array[], {maxTokens, stop: string[], parallel, stream, sampling}, onEvent|null, abortFlag: Int32Array)
// abortFlag[0] stops everything; when it is longer, abortFlag[1 + i] stops prompt i alone.
Napi::Value AddonContext::Generate(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    check_idle(env);
    auto prompts     = read_token_seqs(env, info[0].As<Napi::Array>(), llama_vocab_n_tokens(owner->vocab()), "prompt");
    Napi::Object   o = info[1].As<Napi::Object>();
    Napi::Function on_event = info[2].IsFunction() ? info[2].As<Napi::Function>() : Napi::Function();
    auto * w = new GenerateWorker(env, this, info.This().As<Napi::Object>(), on_event, info[3].As<Napi::Int32Array>());
    w->prompts        = std::move(prompts);
    w->gen.max_tokens = o.Get("maxTokens").As<Napi::Number>().Int32Value();
    w->gen.n_parallel = o.Get("parallel").As<Napi::Number>().Int32Value();
    w->gen.stream     = o.Get("stream").ToBoolean();
    w->gen.ignore_eos = o.Get("ignoreEos").ToBoolean();
    if (o.Has("logprobs") && o.Get("logprobs").IsNumber())
        w->gen.logprobs_top = o.Get("logprobs").As<Napi::Number>().Int32Value();
    Napi::Array stops = o.Get("stop").As<Napi::Array>();
    for (uint32_t i = 0; i < stops.Length(); i++) w->gen.stop_strings.push_back(stops.Get(i).As<Napi::String>());
    Napi::Object s          = o.Get("sampling").As<Napi::Object>();
    w->sampling.temperature = s.Get("temperature").As<Napi::Number>().FloatValue();
    w->sampling.top_k       = s.Get("topK").As<Napi::Number>().Int32Value();
    w->sampling.top_p       = s.Get("topP").As<Napi::Number>().FloatValue();
    w->sampling.min_p       = s.Get("minP").As<Napi::Number>().FloatValue();
    w->sampling.seed        = s.Get("seed").As<Napi::Number>().Uint32Value();
    if (o.Has("experts") && o.Get("experts").IsArray()) {
        Napi::Array ex = o.Get("experts").As<Napi::Array>();
        for (uint32_t i = 0; i < ex.Length(); i++) {
            Napi::Object   e  = ex.Get(i).As<Napi::Object>();
            AddonContext * ec = AddonContext::Unwrap(e.Get("context").As<Napi::Object>());
            if (!ec->ctx || ec == this || llama_n_seq_max(ec->ctx) < llama_n_seq_max(ctx) ||
                llama_n_ctx_seq(ec->ctx) < llama_n_ctx_seq(ctx)) {
                delete w;
                throw iit_error(env, "INVALID_ARGUMENT",
                                "expert " + std::to_string(i) +
                                    ": its context must be alive and at least as large as the base's");
            }
            w->experts.ctxs.push_back(ec->ctx);
            w->experts.weights.push_back(e.Get("weight").As<Napi::Number>().FloatValue());
            w->expert_refs.push_back(Napi::Persistent(e.Get("context").As<Napi::Object>()));
        }
    }
    if (o.Has("rules") && o.Get("rules").IsObject()) {
        w->has_rules    = true;
        std::string err = parse_rules(o.Get("rules").As<Napi::Object>(), w->rules);
        if (err.empty()) err = iit_rules_params_check(owner->vocab(), w->rules);
        if (!err.empty()) {
            delete w;
            throw iit_error(env, "RULES_INVALID", err);
        }
    }
    running               = true;
    Napi::Promise promise = w->Promise();
    w->Queue();
    return promise;
}

// score(seqs: Int32Array[], from: number[], topK, abortFlag: Int32Array, rules?) -> Promise<{tokenLogprobs, top}[]>
Napi::Value AddonContext::Score(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    check_idle(env);
    auto seqs = read_token_seqs(env, info[0].As<Napi::Array>(), llama_vocab_n_tokens(owner->vocab()), "sequence");
    Napi::Array from = info[1].As<Napi::Array>();
    auto *      w    = new ScoreWorker(env, this, info.This().As<Napi::Object>(), info[3].As<Napi::Int32Array>());
    w->seqs          = std::move(seqs);
    for (uint32_t i = 0; i < from.Length(); i++) w->from.push_back(from.Get(i).As<Napi::Number>().Int32Value());
    w->top_k = info[2].As<Napi::Number>().Int32Value();
    if (info.Length() > 4 && info[4].IsObject()) {
        w->has_rules    = true;
        std::string err = parse_rules(info[4].As<Napi::Object>(), w->rules);
        if (err.empty()) err = iit_rules_params_check(owner->vocab(), w->rules);
        if (!err.empty()) {
            delete w;
            throw iit_error(env, "RULES_INVALID", err);
        }
    }
    running               = true;
    Napi::Promise promise = w->Promise();
    w->Queue();
    return promise;
}

Napi::Value AddonContext::Dispose(const Napi::CallbackInfo & info) {
    if (running)
        throw iit_error(info.Env(), "INVALID_STATE", "the context is generating; abort it and wait before disposing");
    free_ctx();
    model_ref_.Reset();
    return info.Env().Undefined();
}
