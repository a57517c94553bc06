#include "addon/generate-worker.h"

#include "addon/addon-context.h"
#include "addon/addon-model.h"
#include "addon/classes.h"
#include "addon/engine-args.h"
#include "addon/errors.h"
#include "addon/worker.h"
#include "generation/batch-generator.h"
#include "sampling/chain.h"
#include "sampling/experts-sampler.h"
#include "sampling/rules-sampler.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <vector>

namespace {

// One generate() call's inputs, read and checked on the JS thread.
struct generate_job {
    std::vector<std::vector<llama_token>> prompts;
    iit_gen_params                        gen;
    iit_sampling_params                   sampling;
    std::optional<iit_rules_params>       rules;
    iit_experts                           experts;
};

struct gen_event {
    enum kind_t {
        TOKEN,
        LOGPROBS,
        DONE
    } kind;
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

// Events (tokens when streaming, logprobs, every finished prompt) are queued off the JS thread and
// delivered to onEvent(kind, index, tokenOrResult) on it.
class GenerateWorker : public IitProgressWorker<char> {
public:
    GenerateWorker(Napi::Env env, AddonContext * self, generate_job job, Napi::Function on_event,
                   std::shared_ptr<iit_gen_intake> intake) :
        IitProgressWorker<char>(env, "GENERATION_FAILED"),
        self_(self),
        job_(std::move(job)),
        intake_(std::move(intake)) {
        if (!on_event.IsEmpty()) on_event_ = Napi::Persistent(on_event);
    }

    void Execute(const ExecutionProgress & progress) override {
        iit_gen_callbacks cb = callbacks(progress);
        // abortFlag[1 + i] != 0: prompt i alone is dropped (a flag of length 1 has none); an appended one by drop()
        cb.stopped = [this](size_t i) {
            if (i < job_.prompts.size()) return abort_.part(i);
            std::lock_guard<std::mutex> lock(intake_->mutex);
            return std::find(intake_->dropped.begin(), intake_->dropped.end(), i) != intake_->dropped.end();
        };
        cb.intake = [this](std::vector<std::vector<llama_token>> & more, bool last) {
            std::lock_guard<std::mutex> lock(intake_->mutex);
            if (intake_->waiting.empty()) {
                if (last) intake_->closed = true;
                return false;
            }
            more.swap(intake_->waiting);
            return true;
        };
        job_.gen.logprobs_rules = job_.rules ? &*job_.rules : nullptr;
        job_.gen.experts        = job_.experts.ctxs;
        job_.gen.expert_row     = &job_.experts.row;
        job_.gen.tuner          = self_->tuner.get();
        iit_gen_status st       = iit_generate(
                  self_->ctx, job_.prompts, job_.gen, [this](const auto & prompt) { return make_chain(prompt); },
                  [this]() { return abort_.all(); }, cb, results_);
        {
            // an abort or a failure ends it with the intake open: close it, so append() says no from now on
            std::lock_guard<std::mutex> lock(intake_->mutex);
            intake_->closed = true;
        }
        if (!st.code.empty()) Fail(st.code, st.message);
    }

    void OnProgress(const char *, size_t) override { drain(); }

    void Settled() override {
        drain();
        self_->running = false;
        self_->intake.reset();
    }

    Napi::Value Result(Napi::Env env) override {
        Napi::Array out = Napi::Array::New(env, results_.size());
        for (size_t i = 0; i < results_.size(); i++) out.Set(i, result_to_js(env, results_[i]));
        return out;
    }

private:
    // Adapters first (rules, then experts), then the sampling chain: a fresh chain per prompt.
    llama_sampler * make_chain(const std::vector<llama_token> & prompt) {
        std::vector<llama_sampler *> adapters;
        if (job_.rules) adapters.push_back(iit_sampler_init_rules(self_->owner->vocab(), *job_.rules));
        if (!job_.experts.ctxs.empty()) adapters.push_back(iit_sampler_init_experts(&job_.experts));
        llama_sampler * chain = iit_chain_init(job_.sampling, adapters);
        if (job_.rules) iit_rules_set_prompt(chain, prompt.data(), prompt.size());
        return chain;
    }

    // Every event is queued and signalled, when there is an onEvent to deliver it to.
    iit_gen_callbacks callbacks(const ExecutionProgress & progress) {
        iit_gen_callbacks cb;
        if (on_event_.IsEmpty()) return cb;
        auto push = [this, &progress](gen_event && e) {
            {
                std::lock_guard<std::mutex> lock(mutex_);
                events_.push_back(std::move(e));
            }
            progress.Signal();
        };
        cb.on_token    = [push](size_t i, llama_token t) { push({ gen_event::TOKEN, i, t, {}, {} }); };
        cb.on_done     = [push](size_t i, const iit_gen_result & r) { push({ gen_event::DONE, i, 0, r, {} }); };
        cb.on_logprobs = [push](size_t i, const iit_token_logprobs & lp) {
            push({ gen_event::LOGPROBS, i, 0, {}, lp });
        };
        return cb;
    }

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
            Napi::Value index = Napi::Number::New(env, (double) e.index);
            switch (e.kind) {
                case gen_event::TOKEN:
                    on_event_.Call({ Napi::String::New(env, "token"), index, Napi::Number::New(env, e.token) });
                    break;
                case gen_event::LOGPROBS:
                    on_event_.Call({ Napi::String::New(env, "logprobs"), index, logprobs_to_js(env, e.lp) });
                    break;
                case gen_event::DONE:
                    on_event_.Call({ Napi::String::New(env, "done"), index, result_to_js(env, e.result) });
                    break;
            }
        }
    }

    AddonContext *                  self_;
    generate_job                    job_;
    Napi::FunctionReference         on_event_;
    std::mutex                      mutex_;
    std::vector<gen_event>          events_;
    std::vector<iit_gen_result>     results_;
    std::shared_ptr<iit_gen_intake> intake_;
};

// An expert context: alive, not the base, at least as large (else INVALID_ARGUMENT).
llama_context * expert_ctx(const AddonContext * base, const Napi::Value & v, const std::string & name) {
    auto * ec = static_cast<AddonContext *>(iit_js_unwrap(v, iit_classes(v.Env()).context, name, "AddonContext"));
    if (!ec->ctx || ec == base || llama_n_seq_max(ec->ctx) < llama_n_seq_max(base->ctx) ||
        llama_n_ctx_seq(ec->ctx) < llama_n_ctx_seq(base->ctx)) {
        throw iit_error(v.Env(), "INVALID_ARGUMENT",
                        name + " must be alive, not the base, and at least as large as the base");
    }
    return ec->ctx;
}

} // namespace

Napi::Promise iit_generate_js(AddonContext * self, const Napi::CallbackInfo & info) {
    Napi::Env    env = info.Env();
    generate_job job;
    job.prompts = iit_js_token_seqs(info[0], "generate: prompts", llama_vocab_n_tokens(self->owner->vocab()), "prompt");
    IitJsObject      o(info[1], "generate: opts");
    Napi::Function   on_event = iit_js_optional_function(info[2], "generate: onEvent");
    Napi::Int32Array flag     = iit_js_abort_flag(info[3], "generate: abortFlag");
    job.gen.max_tokens        = o.int32("maxTokens");
    job.gen.n_parallel        = o.int32("parallel");
    job.gen.stream            = o.flag("stream");
    job.gen.ignore_eos        = o.flag("ignoreEos");
    if (o.get("logprobs").IsNumber()) job.gen.logprobs_top = o.int32("logprobs");
    job.gen.stop_strings     = o.strings("stop");
    IitJsObject s            = o.object("sampling");
    job.sampling.temperature = s.f32("temperature");
    job.sampling.top_k       = s.int32("topK");
    job.sampling.top_p       = s.f32("topP");
    job.sampling.min_p       = s.f32("minP");
    job.sampling.seed        = s.uint32("seed");
    std::vector<Napi::Object> experts;
    if (o.get("experts").IsArray()) {
        Napi::Array ex = o.array("experts");
        for (uint32_t i = 0; i < ex.Length(); i++) {
            IitJsObject e(ex.Get(i), iit_js_element(o.field("experts"), i));
            job.experts.ctxs.push_back(expert_ctx(self, e.get("context"), e.field("context")));
            job.experts.weights.push_back(e.f32("weight"));
            experts.push_back(e.get("context").As<Napi::Object>());
        }
    }
    if (o.get("rules").IsObject()) job.rules = iit_js_rules(o.get("rules"), o.field("rules"), self->owner->vocab());
    auto intake        = std::make_shared<iit_gen_intake>();
    intake->next_index = job.prompts.size();
    self->intake       = intake;
    auto worker        = std::make_unique<GenerateWorker>(env, self, std::move(job), on_event, intake);
    worker->Keep(info.This().As<Napi::Object>());
    for (auto & e : experts) worker->Keep(e); // the expert contexts stay alive while it runs
    worker->Watch(flag);
    return iit_queue(std::move(worker));
}

Napi::Value iit_generate_append_js(AddonContext * self, const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    auto prompts  = iit_js_token_seqs(info[0], "append: prompts", llama_vocab_n_tokens(self->owner->vocab()), "prompt");
    if (!self->intake) return Napi::Number::New(env, -1);
    std::lock_guard<std::mutex> lock(self->intake->mutex);
    if (self->intake->closed) return Napi::Number::New(env, -1);
    const size_t first = self->intake->next_index;
    self->intake->next_index += prompts.size();
    for (auto & p : prompts) self->intake->waiting.push_back(std::move(p));
    return Napi::Number::New(env, (double) first);
}

Napi::Value iit_generate_drop_js(AddonContext * self, const Napi::CallbackInfo & info) {
    const size_t index = (size_t) iit_js_number(info[0], "drop: index").Int64Value();
    if (self->intake) {
        std::lock_guard<std::mutex> lock(self->intake->mutex);
        self->intake->dropped.push_back(index);
    }
    return info.Env().Undefined();
}
