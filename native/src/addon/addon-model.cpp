#include "addon/addon-model.h"

#include "addon/classes.h"
#include "addon/errors.h"
#include "addon/external-memory.h"
#include "addon/js-args.h"
#include "addon/log.h"
#include "addon/system.h"
#include "addon/worker.h"
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
class LoadWorker : public IitProgressWorker<float> {
public:
    LoadWorker(Napi::Env env, AddonModel * self, std::string path, llama_model_params params,
               Napi::Function on_progress) :
        IitProgressWorker<float>(env, "MODEL_LOAD_FAILED"),
        self_(self),
        path_(std::move(path)),
        params_(params) {
        if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
    }

    void Execute(const ExecutionProgress & progress) override {
        iit_gguf_check chk = iit_gguf_check_file(path_);
        if (!chk.code.empty()) return Fail(chk.code, chk.message);
        if (chk.type == "adapter") {
            return Fail("NOT_A_MODEL",
                        path_ +
                            " is a LoRA adapter, not a model: pass it with --lora, and the base model with --model");
        }
        if (abort_.all()) return Fail("ABORTED", "the model load was aborted");
        progress_                 = &progress;
        params_.progress_callback = [](float p, void * ud) -> bool {
            auto * w = static_cast<LoadWorker *>(ud);
            if (w->abort_.all()) return false;
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
        if (!model_ && abort_.all()) return Fail("ABORTED", "the model load was aborted");
        if (!model_) {
            std::string why = iit_log_take_errors();
            Fail("llama.cpp could not load " + path_ + (chk.arch.empty() ? "" : " (architecture " + chk.arch + ")") +
                 (why.empty() ? "" : ": " + why));
        }
    }

    void OnProgress(const float * data, size_t n) override {
        if (on_progress_.IsEmpty() || n == 0) return;
        Napi::HandleScope scope(Env());
        on_progress_.Call({ Napi::Number::New(Env(), data[n - 1]) });
    }

    Napi::Value Result(Napi::Env env) override {
        self_->model            = model_;
        self_->offloaded_layers = iit_offloaded_layers(model_, params_.n_gpu_layers, params_.vocab_only);
        self_->held_bytes       = params_.vocab_only ? 0 : (int64_t) llama_model_size(model_);
        iit_external_adjust(env, self_->held_bytes);
        return env.Undefined();
    }

private:
    AddonModel *              self_;
    Napi::FunctionReference   on_progress_;
    const ExecutionProgress * progress_  = nullptr;
    float                     last_sent_ = -1.0f;
    std::string               path_;
    llama_model_params        params_;
    llama_model *             model_ = nullptr;
};

class LoraWorker : public IitWorker {
public:
    LoraWorker(Napi::Env env, AddonModel * self, std::string path) :
        IitWorker(env, "LORA_INCOMPATIBLE"),
        self_(self),
        path_(std::move(path)),
        arch_(meta_str(self->model, "general.architecture")) {}

    void Execute() override {
        iit_gguf_check chk = iit_gguf_check_file(path_);
        if (!chk.code.empty()) return Fail(chk.code, chk.message);
        if (chk.type != "adapter")
            return Fail("LORA_INVALID", path_ + " is not a LoRA adapter (general.type is '" + chk.type + "')");
        if (chk.arch != arch_) {
            return Fail("LoRA " + path_ + " was made for architecture '" + chk.arch + "' but the model is '" + arch_ +
                        "'");
        }
        iit_log_clear_errors();
        adapter_ = llama_adapter_lora_init(self_->model, path_.c_str());
        if (!adapter_) {
            std::string why = iit_log_take_errors();
            Fail("LoRA " + path_ + " does not fit this model" + (why.empty() ? "" : ": " + why));
        }
    }

    Napi::Value Result(Napi::Env env) override {
        self_->loras.push_back(adapter_);
        return Napi::Number::New(env, (double) self_->loras.size() - 1);
    }

private:
    AddonModel *         self_;
    std::string          path_, arch_;
    llama_adapter_lora * adapter_ = nullptr;
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

void AddonModel::check_loaded(Napi::Env env) const {
    if (!model) throw iit_error(env, "DISPOSED", "the model is not loaded or was disposed");
}

AddonModel * iit_unwrap_model(const Napi::Value & v, const std::string & name) {
    auto * m = static_cast<AddonModel *>(iit_js_unwrap(v, iit_classes(v.Env()).model, name, "AddonModel"));
    m->check_loaded(v.Env());
    return m;
}

// load(path, {vocabOnly, gpuLayers, useMmap}, onProgress(fraction)|null, abortFlag: Int32Array) -> Promise<void>
Napi::Value AddonModel::Load(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (model) throw iit_error(env, "INVALID_STATE", "this model object is already loaded");
    std::string        path = iit_js_string(info[0], "load: path");
    IitJsObject        o(info[1], "load: opts");
    llama_model_params p = llama_model_default_params();
    p.vocab_only         = o.flag("vocabOnly");
    p.n_gpu_layers       = o.int32("gpuLayers");
    if (!o.flag("useMmap")) p.load_mode = LLAMA_LOAD_MODE_NONE;
    Napi::Function on_progress = iit_js_optional_function(info[2], "load: onProgress");
    auto           worker      = std::make_unique<LoadWorker>(env, this, std::move(path), p, on_progress);
    worker->Keep(info.This().As<Napi::Object>());
    worker->Watch(iit_js_abort_flag(info[3], "load: abortFlag"));
    return iit_queue(std::move(worker));
}

Napi::Value AddonModel::Meta(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    check_loaded(env);
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
    check_loaded(env);
    std::string              text        = iit_js_string(info[0], "tokenize: text");
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
    check_loaded(env);
    Napi::Int32Array toks    = iit_js_int32_array(info[0], "detokenize: tokens");
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
    check_loaded(env);
    const int32_t n   = llama_vocab_n_tokens(vocab());
    Napi::Array   out = Napi::Array::New(env, n);
    for (int32_t t = 0; t < n; t++) out.Set(t, Napi::String::New(env, llama_vocab_get_text(vocab(), t)));
    return out;
}

// resolveTokens(texts: string[]) -> Int32Array: the single token whose rendered piece is each text, or -1.
Napi::Value AddonModel::ResolveTokens(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    check_loaded(env);
    std::vector<llama_token> ids = iit_token_resolve_many(vocab(), iit_js_strings(info[0], "resolveTokens: texts"));
    Napi::Int32Array         out = Napi::Int32Array::New(env, ids.size());
    std::copy(ids.begin(), ids.end(), out.Data());
    return out;
}

// loadLora(path) -> Promise<number> (the adapter's index on this model)
Napi::Value AddonModel::LoadLora(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    check_loaded(env);
    auto worker = std::make_unique<LoraWorker>(env, this, iit_js_string(info[0], "loadLora: path"));
    worker->Keep(info.This().As<Napi::Object>());
    return iit_queue(std::move(worker));
}

Napi::Value AddonModel::LoraMeta(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    check_loaded(env);
    uint32_t i = iit_js_number(info[0], "loraMeta: index").Uint32Value();
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
