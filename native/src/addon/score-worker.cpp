#include "addon/score-worker.h"

#include "addon/addon-context.h"
#include "addon/addon-model.h"
#include "addon/engine-args.h"
#include "addon/worker.h"
#include "generation/scorer.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace {

// One score() call's inputs, read and checked on the JS thread.
struct score_job {
    std::vector<std::vector<llama_token>> seqs;
    std::vector<int32_t>                  from;
    int32_t                               top_k = 0;
    std::optional<iit_rules_params>       rules;
};

class ScoreWorker : public IitWorker {
public:
    ScoreWorker(Napi::Env env, AddonContext * self, score_job job) :
        IitWorker(env, "SCORING_FAILED"),
        self_(self),
        job_(std::move(job)) {}

    void Execute() override {
        std::string err = iit_score(
            self_->ctx, job_.seqs, job_.from, job_.top_k, [this]() { return abort_.all(); }, out_,
            job_.rules ? &*job_.rules : nullptr, self_->tuner.get());
        if (!err.empty()) Fail(err == "aborted" ? "ABORTED" : "SCORING_FAILED", err);
    }

    void Settled() override { self_->running = false; }

    Napi::Value Result(Napi::Env env) override {
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
        return arr;
    }

private:
    AddonContext *                self_;
    score_job                     job_;
    std::vector<iit_score_result> out_;
};

} // namespace

Napi::Promise iit_score_js(AddonContext * self, const Napi::CallbackInfo & info) {
    score_job job;
    job.seqs = iit_js_token_seqs(info[0], "score: seqs", llama_vocab_n_tokens(self->owner->vocab()), "sequence");
    Napi::Array from = iit_js_array(info[1], "score: from");
    for (uint32_t i = 0; i < from.Length(); i++)
        job.from.push_back(iit_js_number(from.Get(i), iit_js_element("score: from", i)).Int32Value());
    job.top_k             = iit_js_number(info[2], "score: topK").Int32Value();
    Napi::Int32Array flag = iit_js_abort_flag(info[3], "score: abortFlag");
    if (info[4].IsObject()) job.rules = iit_js_rules(info[4], "score: rules", self->owner->vocab());
    auto worker = std::make_unique<ScoreWorker>(info.Env(), self, std::move(job));
    worker->Keep(info.This().As<Napi::Object>());
    worker->Watch(flag);
    return iit_queue(std::move(worker));
}
