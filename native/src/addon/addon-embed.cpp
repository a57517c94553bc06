// AddonModel::embed: pooled, L2-normalised embeddings on a context of its own (embeddings = true).
#include "addon/addon-model.h"
#include "addon/errors.h"
#include "addon/log.h"
#include "generation/embedder.h"
#include "threading/threadpool.h"

#include <string>
#include <vector>

namespace {

class EmbedWorker : public IitWorker {
public:
    EmbedWorker(Napi::Env env, AddonModel * self, Napi::Object js, Napi::Int32Array abort_flag) :
        IitWorker(env),
        self_(self) {
        js_ref_    = Napi::Persistent(js);
        abort_ref_ = Napi::Persistent(abort_flag);
        abort_     = reinterpret_cast<volatile int32_t *>(abort_flag.Data());
        self_->busy++; // the model cannot be disposed while this runs
    }
    std::vector<std::vector<llama_token>> seqs;
    std::vector<llama_adapter_lora *>     adapters;
    std::vector<float>                    scales;
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
        if (!adapters.empty() && llama_set_adapters_lora(ctx, adapters.data(), adapters.size(), scales.data()) != 0) {
            llama_free(ctx);
            return Fail("LORA_INCOMPATIBLE", "llama.cpp refused the LoRA set for the embedding context");
        }
        std::string err = iit_embed(
            ctx, seqs, [&]() { return *abort_ != 0; }, out_);
        llama_free(ctx);
        if (!err.empty()) Fail(err == "aborted" ? "ABORTED" : "EMBEDDING_FAILED", err);
    }
    void OnOK() override {
        self_->busy--;
        Napi::Env   env = Env();
        Napi::Array arr = Napi::Array::New(env, out_.size());
        for (size_t i = 0; i < out_.size(); i++) {
            Napi::Float32Array v = Napi::Float32Array::New(env, out_[i].size());
            std::copy(out_[i].begin(), out_[i].end(), v.Data());
            arr.Set(i, v);
        }
        deferred_.Resolve(arr);
    }
    void OnError(const Napi::Error & e) override {
        self_->busy--;
        IitWorker::OnError(e);
    }

private:
    AddonModel *                      self_;
    Napi::ObjectReference             js_ref_;
    Napi::Reference<Napi::Int32Array> abort_ref_;
    volatile int32_t *                abort_;
    std::vector<std::vector<float>>   out_;
};

} // namespace

// embed(seqs: Int32Array[], {nCtx, nThreads, poll, loras: [{index, scale}]}, abortFlag: Int32Array) -> Promise<Float32Array[]>
Napi::Value AddonModel::Embed(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (!iit_unwrap_model(info.This())) return env.Undefined();
    const int32_t                         n_vocab = llama_vocab_n_tokens(vocab());
    Napi::Array                           arr     = info[0].As<Napi::Array>();
    std::vector<std::vector<llama_token>> seqs;
    for (uint32_t i = 0; i < arr.Length(); i++) {
        Napi::Int32Array a = arr.Get(i).As<Napi::Int32Array>();
        seqs.emplace_back(a.Data(), a.Data() + a.ElementLength());
        for (llama_token t : seqs.back()) {
            if (t < 0 || t >= n_vocab) {
                throw iit_error(env, "INVALID_TOKEN",
                                "text " + std::to_string(i) + " has token id " + std::to_string(t) +
                                    " outside the vocabulary");
            }
        }
    }
    Napi::Object                      o = info[1].As<Napi::Object>();
    std::vector<llama_adapter_lora *> adapters;
    std::vector<float>                scales;
    Napi::Array                       loras = o.Get("loras").As<Napi::Array>();
    for (uint32_t i = 0; i < loras.Length(); i++) {
        Napi::Object l   = loras.Get(i).As<Napi::Object>();
        uint32_t     idx = l.Get("index").As<Napi::Number>().Uint32Value();
        if (idx >= this->loras.size())
            throw iit_error(env, "INVALID_ARGUMENT", "no LoRA adapter with index " + std::to_string(idx));
        adapters.push_back(this->loras[idx]);
        scales.push_back(l.Get("scale").As<Napi::Number>().FloatValue());
    }
    auto * w              = new EmbedWorker(env, this, info.This().As<Napi::Object>(), info[2].As<Napi::Int32Array>());
    w->seqs               = std::move(seqs);
    w->adapters           = std::move(adapters);
    w->scales             = std::move(scales);
    w->n_ctx              = o.Get("nCtx").As<Napi::Number>().Uint32Value();
    w->n_threads          = o.Get("nThreads").As<Napi::Number>().Int32Value();
    w->poll               = o.Get("poll").As<Napi::Number>().Uint32Value();
    Napi::Promise promise = w->Promise();
    w->Queue();
    return promise;
}
