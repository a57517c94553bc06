#include "addon/make-gguf.h"

#include "addon/js-args.h"
#include "addon/worker.h"
#include "model/make-lora.h"
#include "model/make-model.h"

namespace {

// Writes a GGUF off the JS thread; resolves {path, nParams}.
template <typename P, std::string (*WRITE)(const P &, uint64_t &)> class WriteGgufWorker : public IitWorker {
public:
    WriteGgufWorker(Napi::Env env, P p, const char * code) : IitWorker(env, code), p_(std::move(p)) {}

    void Execute() override {
        std::string err = WRITE(p_, n_params_);
        if (!err.empty()) Fail(err);
    }

    Napi::Value Result(Napi::Env env) override {
        Napi::Object o = Napi::Object::New(env);
        o.Set("path", p_.out_path);
        o.Set("nParams", (double) n_params_);
        return o;
    }

private:
    P        p_;
    uint64_t n_params_ = 0;
};

} // namespace

Napi::Value iit_make_model_js(const Napi::CallbackInfo & info) {
    IitJsObject           o(info[0], "makeModel: opts");
    iit_make_model_params p;
    p.vocab_path = o.string("vocabPath");
    p.out_path   = o.string("outPath");
    p.n_layer    = o.int32("nLayer");
    p.n_embd     = o.int32("nEmbd");
    p.n_head     = o.int32("nHead");
    p.n_head_kv  = o.int32("nHeadKv");
    p.n_ff       = o.int32("nFf");
    p.n_ctx      = o.int32("nCtx");
    p.seed       = o.uint32("seed");
    p.name       = o.string("name");
    p.type       = o.string("type");
    using Worker = WriteGgufWorker<iit_make_model_params, iit_make_model>;
    return iit_queue(std::make_unique<Worker>(info.Env(), std::move(p), "MAKE_MODEL_FAILED"));
}

Napi::Value iit_make_lora_js(const Napi::CallbackInfo & info) {
    IitJsObject          o(info[0], "makeLora: opts");
    iit_make_lora_params p;
    p.base_path  = o.string("basePath");
    p.out_path   = o.string("outPath");
    p.rank       = o.int32("rank");
    p.alpha      = o.f32("alpha");
    p.b_std      = o.f32("bStd");
    p.seed       = o.uint32("seed");
    p.targets    = o.strings("targets");
    using Worker = WriteGgufWorker<iit_make_lora_params, iit_make_lora>;
    return iit_queue(std::make_unique<Worker>(info.Env(), std::move(p), "MAKE_LORA_FAILED"));
}
