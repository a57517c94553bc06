// Registration only: every export is defined next to what it wraps.
#include <napi.h>

#include "addon/addon-context.h"
#include "addon/addon-model.h"
#include "addon/addon-trainer.h"
#include "addon/errors.h"
#include "addon/log.h"
#include "addon/system.h"
#include "ggml-backend.h"
#include "llama.h"
#include "model/make-lora.h"
#include "model/make-model.h"

namespace {

// Writes a GGUF off the JS thread (make-model, make-lora); resolves {path, nParams}.
template <typename P, std::string (*WRITE)(const P &, uint64_t &)> class WriteGgufWorker : public IitWorker {
public:
    WriteGgufWorker(Napi::Env env, P p, const char * code) : IitWorker(env), p_(std::move(p)), code_on_fail_(code) {}
    void Execute() override {
        std::string err = WRITE(p_, n_params_);
        if (!err.empty()) Fail(code_on_fail_, err);
    }
    void OnOK() override {
        Napi::Object o = Napi::Object::New(Env());
        o.Set("path", p_.out_path);
        o.Set("nParams", (double) n_params_);
        deferred_.Resolve(o);
    }

private:
    P            p_;
    const char * code_on_fail_;
    uint64_t     n_params_ = 0;
};

// makeModel({vocabPath, outPath, nLayer, nEmbd, nHead, nHeadKv, nFf, nCtx, seed, name}) -> Promise<{path, nParams}>
Napi::Value MakeModel(const Napi::CallbackInfo & info) {
    Napi::Object          o = info[0].As<Napi::Object>();
    iit_make_model_params p;
    p.vocab_path    = o.Get("vocabPath").As<Napi::String>();
    p.out_path      = o.Get("outPath").As<Napi::String>();
    p.n_layer       = o.Get("nLayer").As<Napi::Number>().Int32Value();
    p.n_embd        = o.Get("nEmbd").As<Napi::Number>().Int32Value();
    p.n_head        = o.Get("nHead").As<Napi::Number>().Int32Value();
    p.n_head_kv     = o.Get("nHeadKv").As<Napi::Number>().Int32Value();
    p.n_ff          = o.Get("nFf").As<Napi::Number>().Int32Value();
    p.n_ctx         = o.Get("nCtx").As<Napi::Number>().Int32Value();
    p.seed          = o.Get("seed").As<Napi::Number>().Uint32Value();
    p.name          = o.Get("name").As<Napi::String>();
    p.type          = o.Get("type").As<Napi::String>();
    auto *        w = new WriteGgufWorker<iit_make_model_params, iit_make_model>(info.Env(), p, "MAKE_MODEL_FAILED");
    Napi::Promise promise = w->Promise();
    w->Queue();
    return promise;
}

// makeLora({basePath, outPath, rank, alpha, targets: string[], bStd, seed}) -> Promise<{path, nParams}>
Napi::Value MakeLora(const Napi::CallbackInfo & info) {
    Napi::Object         o = info[0].As<Napi::Object>();
    iit_make_lora_params p;
    p.base_path   = o.Get("basePath").As<Napi::String>();
    p.out_path    = o.Get("outPath").As<Napi::String>();
    p.rank        = o.Get("rank").As<Napi::Number>().Int32Value();
    p.alpha       = o.Get("alpha").As<Napi::Number>().FloatValue();
    p.b_std       = o.Get("bStd").As<Napi::Number>().FloatValue();
    p.seed        = o.Get("seed").As<Napi::Number>().Uint32Value();
    Napi::Array t = o.Get("targets").As<Napi::Array>();
    p.targets.clear();
    for (uint32_t i = 0; i < t.Length(); i++) p.targets.push_back(t.Get(i).As<Napi::String>());
    auto *        w       = new WriteGgufWorker<iit_make_lora_params, iit_make_lora>(info.Env(), p, "MAKE_LORA_FAILED");
    Napi::Promise promise = w->Promise();
    w->Queue();
    return promise;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
    iit_log_init();
    llama_backend_init();
    exports.Set("AddonModel", AddonModel::Init(env));
    exports.Set("AddonContext", AddonContext::Init(env));
    exports.Set("AddonTrainer", AddonTrainer::Init(env));
    exports.Set("makeModel", Napi::Function::New(env, MakeModel));
    exports.Set("makeLora", Napi::Function::New(env, MakeLora));
    exports.Set("systemInfo", Napi::Function::New(env, iit_system_info));
    return exports;
}

} // namespace

NODE_API_MODULE(iit, Init)
