// AddonModel::embed: pooled, L2-normalised embeddings on a context of its own (embeddings = true).
#include "addon/addon-model.h"
#include "addon/engine-args.h"
#include "addon/log.h"
#include "addon/worker.h"
#include "generation/embedder.h"
#include "threading/threadpool.h"

#include <string>
#include <vector>

namespace {

class EmbedWorker : public IitWorker {
public:
    EmbedWorker(Napi::Env env, AddonModel * self) : IitWorker(env, "EMBEDDING_FAILED"), self_(self) {}
    std::vector<std::vector<llama_token>> seqs;
    iit_lora_set                          loras;
    uint32_t                              n_ctx     = 512;
    int32_t                               n_threads = 1;
    uint32_t                              poll      = 0;

    void Execute() override {
        iit_log_clear_errors();
        llama_context * ctx = llama_init_from_model(self_->model, iit_embed_context_params(n_ctx, n_threads));
        if (!ctx) {
            std::string why = iit_log_take_errors();
            return Fail("CONTEXT_FAILED", "llama.cpp could not create an embedding context of " +
                                              std::to_string(n_ctx) + " tokens" + (why.empty() ? "" : ": " + why));
        }
        iit_threadpool pool; // outlives ctx
        if (!pool.attach(ctx, n_threads, poll)) {
            llama_free(ctx);
            return Fail("CONTEXT_FAILED", "ggml could not start a pool of " + std::to_string(n_threads) + " threads");
        }
        if (!loras.adapters.empty() &&
            llama_set_adapters_lora(ctx, loras.adapters.data(), loras.adapters.size(), loras.scales.data()) != 0) {
            llama_free(ctx);
            return Fail("LORA_INCOMPATIBLE", "llama.cpp refused the LoRA set for the embedding context");
        }
        std::string err = iit_embed(
            ctx, seqs, [this]() { return abort_.all(); }, out_);
        llama_free(ctx);
        if (!err.empty()) Fail(err == "aborted" ? "ABORTED" : "EMBEDDING_FAILED", err);
    }

    void Settled() override { self_->busy--; }

    Napi::Value Result(Napi::Env env) override {
        Napi::Array arr = Napi::Array::New(env, out_.size());
        for (size_t i = 0; i < out_.size(); i++) {
            Napi::Float32Array v = Napi::Float32Array::New(env, out_[i].size());
            std::copy(out_[i].begin(), out_[i].end(), v.Data());
            arr.Set(i, v);
        }
        return arr;
    }

private:
    AddonModel *                    self_;
    std::vector<std::vector<float>> out_;
};

} // namespace

// embed(seqs: Int32Array[], {nCtx, nThreads, poll, loras: [{index, scale}]}, abortFlag: Int32Array) -> Promise<Float32Array[]>
Napi::Value AddonModel::Embed(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    check_loaded(env);
    auto worker  = std::make_unique<EmbedWorker>(env, this);
    worker->seqs = iit_js_token_seqs(info[0], "embed: seqs", llama_vocab_n_tokens(vocab()), "text");
    IitJsObject o(info[1], "embed: opts");
    worker->loras     = iit_js_lora_set(o.get("loras"), o.field("loras"), loras);
    worker->n_ctx     = o.uint32("nCtx");
    worker->n_threads = o.int32("nThreads");
    worker->poll      = o.uint32("poll");
    worker->Keep(info.This().As<Napi::Object>());
    worker->Watch(iit_js_abort_flag(info[2], "embed: abortFlag"));
    Napi::Promise promise = iit_queue(std::move(worker));
    busy++; // the model cannot be disposed while this runs
    return promise;
}
