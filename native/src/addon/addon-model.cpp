#include "addon/addon-model.h"

#include "addon/errors.h"
#include "addon/external-memory.h"
#include "addon/log.h"
#include "addon/system.h"
#include "model/gguf-check.h"
#include "sampling/token-resolve.h"

#include <string>

namespace {

std::string meta_str(const llama_model * m, const char * key) {
    char    buf[512];
    int32_t n = llama_model_meta_val_str(m, key, buf, sizeof(buf));
    return n < 0 ? "" : std::string(buf);
}

// Loads off the JS thread. llama.cpp calls the progress callback before each tensor (and with 1 at
// the end): it forwards whole-percent steps to onProgress and returns false once the abort flag is
// set, which makes llama.cpp free what it allocated and return no model.
class LoadWorker : public Napi::AsyncProgressQueueWorker<float> {
public:
    LoadWorker(Napi::Env env, AddonModel * self, Napi::Object js, std::string path, llama_model_params params,
               Napi::Function on_progress, Napi::Int32Array abort_flag) :
        Napi::AsyncProgressQueueWorker<float>(env),
        self_(self),
        path_(std::move(path)),
        params_(params),
        deferred_(Napi::Promise::Deferred::New(env)) {
        ref_       = Napi::Persistent(js);
        abort_ref_ = Napi::Persistent(abort_flag);
        abort_     = reinterpret_cast<volatile int32_t *>(abort_flag.Data());
        if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
    }
    Napi::Promise Promise() { return deferred_.Promise(); }

    void Execute(const ExecutionProgress & progress) override {
        iit_gguf_check chk = iit_gguf_check_file(path_);
        if (!chk.code.empty()) return Fail(chk.code, chk.message);
        if (chk.type == "adapter") {
            return Fail("NOT_A_MODEL",
                        path_ +
                            " is a LoRA adapter, not a model: pass it with --lora, and the base model with --model");
        }
        if (*abort_) return Fail("ABORTED", "the model load was aborted");
        progress_                 = &progress;
        params_.progress_callback = [](float p, void * ud) -> bool {
            auto * w = static_cast<LoadWorker *>(ud);
            if (*w->abort_) return false;
            if (p >= 1.0f || p >= w->last_sent_ + 0.01f) {
                w->last_sent_ = p;
                if (!w->on_progress_.IsEmpty()) w->progress_->Send(&p, 1);
            }
            return true;
        };
        params_.progress_callback_user_data = this;
        iit_log_clear_errors();
        model_    = llama_model_load_from_file(path_.c_str(), params_);
        progress_ = nullptr;
        if (!model_ && *abort_) return Fail("ABORTED", "the model load was aborted");
        if (!model_) {
            std::string why = iit_log_take_errors();
            Fail("MODEL_LOAD_FAILED", "llama.cpp could not load " + path_ +
                                          (chk.arch.empty() ? "" : " (architecture " + chk.arch + ")") +
                                          (why.empty() ? "" : ": " + why));
        }
    }
    void OnProgress(const float * data, size_t n) override {
        if (on_progress_.IsEmpty() || n == 0) return;
        Napi::HandleScope scope(Env());
        on_progress_.Call({ Napi::Number::New(Env(), data[n - 1]) });
    }
    void OnOK() override {
        self_->model            = model_;
        self_->offloaded_layers = iit_offloaded_layers(model_, params_.n_gpu_layers, params_.vocab_only);
        self_->held_bytes       = params_.vocab_only ? 0 : (int64_t) llama_model_size(model_);
        iit_external_adjust(Env(), self_->held_bytes);
        deferred_.Resolve(Env().Undefined());
    }
    void OnError(const Napi::Error & e) override {
        Napi::HandleScope scope(Env());
        deferred_.Reject(iit_error(Env(), code_.empty() ? "NATIVE_ERROR" : code_, e.Message()).Value());
    }

private:
    void Fail(const std::string & code, const std::string & message) {
        code_ = code;
        SetError(message);
    }
    AddonModel *                      self_;
    Napi::ObjectReference             ref_;
    Napi::Reference<Napi::Int32Array> abort_ref_;
    volatile int32_t *                abort_;
    Napi::FunctionReference           on_progress_;
    const ExecutionProgress *         progress_  = nullptr;
    float                             last_sent_ = -1.0f;
    std::string                       path_, code_;
    llama_model_params                params_;
    Napi::Promise::Deferred           deferred_;
    llama_model *                     model_ = nullptr;
};

class LoraWorker : public IitWorker {
public:
    LoraWorker(Napi::Env env, AddonModel * self, Napi::Object js, std::string path) :
        IitWorker(env),
        self_(self),
        path_(std::move(path)) {
        ref_ = Napi::Persistent(js);
        char buf[128];
        llama_model_meta_val_str(self->model, "general.architecture", buf, sizeof(buf));
        arch_ = buf;
    }
    void Execute() override {
        iit_gguf_check chk = iit_gguf_check_file(path_);
        if (!chk.code.empty()) return Fail(chk.code, chk.message);
        if (chk.type != "adapter")
            return Fail("LORA_INVALID", path_ + " is not a LoRA adapter (general.type is '" + chk.type + "')");
        if (chk.arch != arch_) {
            return Fail("LORA_INCOMPATIBLE", "LoRA " + path_ + " was made for architecture '" + chk.arch +
                                                 "' but the model is '" + arch_ + "'");
        }
        iit_log_clear_errors();
        adapter_ = llama_adapter_lora_init(self_->model, path_.c_str());
        if (!adapter_) {
            std::string why = iit_log_take_errors();
            Fail("LORA_INCOMPATIBLE", "LoRA " + path_ + " does not fit this model" + (why.empty() ? "" : ": " + why));
        }
    }
    void OnOK() override {
        self_->loras.push_back(adapter_);
        deferred_.Resolve(Napi::Number::New(Env(), (double) self_->loras.size() - 1));
    }

private:
    AddonModel *          self_;
    Napi::ObjectReference ref_;
    std::string           path_, arch_;
    llama_adapter_lora *  adapter_ = nullptr;
};

} // namespace

Napi::Function AddonModel::Init(Napi::Env env) {
    return DefineClass(env, "AddonModel",
                       {
                           InstanceMethod("load", &AddonModel::Load),
                           InstanceMethod("meta", &AddonModel::Meta),
                           InstanceMethod("tokenize", &AddonModel::Tokenize),
                           InstanceMethod("detokenize", &AddonModel::Detokenize),
                           InstanceMethod("tokenPieces", &AddonModel::TokenPieces),
                           InstanceMethod("resolveTokens", &AddonModel::ResolveTokens),
                           InstanceMethod("loadLora", &AddonModel::LoadLora),
                           InstanceMethod("loraMeta", &AddonModel::LoraMeta),
                           InstanceMethod("embed", &AddonModel::Embed),
                           InstanceMethod("dispose", &AddonModel::Dispose),
                       });
}

AddonModel::AddonModel(const Napi::CallbackInfo & info) : Napi::ObjectWrap<AddonModel>(info) {}

AddonModel::~AddonModel() {
    free_model();
}

void AddonModel::free_model() {
    if (!model) return;
    for (auto * a : loras) llama_adapter_lora_free(a);
    loras.clear();
    llama_model_free(model);
    model = nullptr;
    iit_external_adjust(Env(), -held_bytes);
    held_bytes = 0;
}

AddonModel * iit_unwrap_model(const Napi::Value & v) {
    AddonModel * m = AddonModel::Unwrap(v.As<Napi::Object>());
    if (!m->model) {
        iit_error(v.Env(), "DISPOSED", "the model is not loaded or was disposed").ThrowAsJavaScriptException();
        return nullptr;
    }
    return m;
}

// load(path, {vocabOnly, gpuLayers, useMmap}, onProgress(fraction)|null, abortFlag: Int32Array) -> Promise<void>
Napi::Value AddonModel::Load(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (model) throw iit_error(env, "INVALID_STATE", "this model object is already loaded");
    std::string        path = info[0].As<Napi::String>();
    Napi::Object       o    = info[1].As<Napi::Object>();
    llama_model_params p    = llama_model_default_params();
    p.vocab_only            = o.Get("vocabOnly").ToBoolean();
    p.n_gpu_layers          = o.Get("gpuLayers").As<Napi::Number>().Int32Value();
    if (!o.Get("useMmap").ToBoolean()) p.load_mode = LLAMA_LOAD_MODE_NONE;
    Napi::Function on_progress = info[2].IsFunction() ? info[2].As<Napi::Function>() : Napi::Function();
    auto *         w =
        new LoadWorker(env, this, info.This().As<Napi::Object>(), path, p, on_progress, info[3].As<Napi::Int32Array>());
    Napi::Promise promise = w->Promise();
    w->Queue();
    return promise;
}

Napi::Value AddonModel::Meta(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (!iit_unwrap_model(info.This())) return env.Undefined();
    const llama_vocab * v = vocab();
    Napi::Object        o = Napi::Object::New(env);
    char                desc[256];
    llama_model_desc(model, desc, sizeof(desc));
    o.Set("architecture", meta_str(model, "general.architecture"));
    o.Set("name", meta_str(model, "general.name"));
    o.Set("description", std::string(desc));
    o.Set("nParams", (double) llama_model_n_params(model));
    o.Set("sizeBytes", (double) llama_model_size(model));
    o.Set("nCtxTrain", llama_model_n_ctx_train(model));
    o.Set("nEmbd", llama_model_n_embd(model));
    o.Set("nLayer", llama_model_n_layer(model));
    o.Set("nVocab", llama_vocab_n_tokens(v));
    o.Set("vocabType", (int) llama_vocab_type(v));
    o.Set("bos", llama_vocab_bos(v));
    o.Set("eos", llama_vocab_eos(v));
    o.Set("eot", llama_vocab_eot(v));
    o.Set("addBos", llama_vocab_get_add_bos(v));
    Napi::Array eog = Napi::Array::New(env);
    for (int32_t t = 0, n = llama_vocab_n_tokens(v); t < n; t++) {
        if (llama_vocab_is_eog(v, t)) eog.Set(eog.Length(), t);
    }
    o.Set("eogIds", eog);
    Napi::Object off = Napi::Object::New(env);
    off.Set("layers", offloaded_layers);
    off.Set("of", llama_model_n_layer(model) + 1);
    Napi::Array devs = Napi::Array::New(env);
    if (offloaded_layers > 0)
        for (const auto & n : iit_offload_devices()) devs.Set(devs.Length(), n);
    off.Set("devices", devs);
    o.Set("offload", off);
    const char * tmpl = llama_model_chat_template(model, nullptr);
    o.Set("chatTemplate", tmpl ? Napi::Value(Napi::String::New(env, tmpl)) : env.Null());
    Napi::Object kv = Napi::Object::New(env);
    char         key[256];
    std::string  val(4096, '\0');
    for (int32_t i = 0, n = llama_model_meta_count(model); i < n; i++) {
        if (llama_model_meta_key_by_index(model, i, key, sizeof(key)) < 0) continue;
        int32_t len = llama_model_meta_val_str_by_index(model, i, val.data(), val.size());
        if (len >= 0) kv.Set(key, std::string(val.c_str()));
    }
    o.Set("metadata", kv);
    return o;
}

// tokenize(text, addSpecial, parseSpecial) -> Int32Array
Napi::Value AddonModel::Tokenize(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (!iit_unwrap_model(info.This())) return env.Undefined();
    std::string              text        = info[0].As<Napi::String>();
    bool                     add_special = info[1].ToBoolean(), parse_special = info[2].ToBoolean();
    std::vector<llama_token> toks(text.size() + 8);
    int32_t n = llama_tokenize(vocab(), text.data(), (int32_t) text.size(), toks.data(), (int32_t) toks.size(),
                               add_special, parse_special);
    if (n < 0) {
        toks.resize(-n);
        n = llama_tokenize(vocab(), text.data(), (int32_t) text.size(), toks.data(), (int32_t) toks.size(), add_special,
                           parse_special);
    }
    if (n < 0) throw iit_error(env, "TOKENIZE_FAILED", "the text could not be tokenized");
    Napi::Int32Array out = Napi::Int32Array::New(env, n);
    std::copy(toks.begin(), toks.begin() + n, out.Data());
    return out;
}

// detokenize(Int32Array, removeSpecial, unparseSpecial) -> string
Napi::Value AddonModel::Detokenize(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (!iit_unwrap_model(info.This())) return env.Undefined();
    Napi::Int32Array toks    = info[0].As<Napi::Int32Array>();
    const int32_t    n_vocab = llama_vocab_n_tokens(vocab());
    for (size_t i = 0; i < toks.ElementLength(); i++) {
        if (toks[i] < 0 || toks[i] >= n_vocab) {
            throw iit_error(env, "INVALID_TOKEN",
                            "token id " + std::to_string(toks[i]) + " is outside the vocabulary (0.." +
                                std::to_string(n_vocab - 1) + ")");
        }
    }
    std::string out(toks.ElementLength() * 8 + 16, '\0');
    int32_t n = llama_detokenize(vocab(), toks.Data(), (int32_t) toks.ElementLength(), out.data(), (int32_t) out.size(),
                                 info[1].ToBoolean(), info[2].ToBoolean());
    if (n < 0) {
        out.resize(-n);
        n = llama_detokenize(vocab(), toks.Data(), (int32_t) toks.ElementLength(), out.data(), (int32_t) out.size(),
                             info[1].ToBoolean(), info[2].ToBoolean());
    }
    out.resize(std::max(n, 0));
    return Napi::String::New(env, out);
}

// tokenPieces() -> string[]: each token's vocabulary text as stored (SentencePiece "▁", BPE "Ġ" kept).
Napi::Value AddonModel::TokenPieces(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (!iit_unwrap_model(info.This())) return env.Undefined();
    const int32_t n   = llama_vocab_n_tokens(vocab());
    Napi::Array   out = Napi::Array::New(env, n);
    for (int32_t t = 0; t < n; t++) out.Set(t, Napi::String::New(env, llama_vocab_get_text(vocab(), t)));
    return out;
}

// resolveTokens(texts: string[]) -> Int32Array: the single token whose rendered piece is each text, or -1.
Napi::Value AddonModel::ResolveTokens(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (!iit_unwrap_model(info.This())) return env.Undefined();
    Napi::Array              arr = info[0].As<Napi::Array>();
    std::vector<std::string> texts;
    for (uint32_t i = 0; i < arr.Length(); i++) texts.push_back(arr.Get(i).As<Napi::String>());
    std::vector<llama_token> ids = iit_token_resolve_many(vocab(), texts);
    Napi::Int32Array         out = Napi::Int32Array::New(env, ids.size());
    std::copy(ids.begin(), ids.end(), out.Data());
    return out;
}

// loadLora(path) -> Promise<number> (the adapter's index on this model)
Napi::Value AddonModel::LoadLora(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (!iit_unwrap_model(info.This())) return env.Undefined();
    auto *        w       = new LoraWorker(env, this, info.This().As<Napi::Object>(), info[0].As<Napi::String>());
    Napi::Promise promise = w->Promise();
    w->Queue();
    return promise;
}

Napi::Value AddonModel::LoraMeta(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (!iit_unwrap_model(info.This())) return env.Undefined();
    uint32_t i = info[0].As<Napi::Number>().Uint32Value();
    if (i >= loras.size()) throw iit_error(env, "INVALID_ARGUMENT", "no LoRA adapter with index " + std::to_string(i));
    Napi::Object o = Napi::Object::New(env);
    char         key[256], val[1024];
    for (int32_t k = 0, n = llama_adapter_meta_count(loras[i]); k < n; k++) {
        if (llama_adapter_meta_key_by_index(loras[i], k, key, sizeof(key)) < 0) continue;
        if (llama_adapter_meta_val_str_by_index(loras[i], k, val, sizeof(val)) >= 0) o.Set(key, std::string(val));
    }
    return o;
}

Napi::Value AddonModel::Dispose(const Napi::CallbackInfo & info) {
    if (busy > 0) throw iit_error(info.Env(), "INVALID_STATE", "dispose the model's contexts first");
    free_model();
    return info.Env().Undefined();
}
