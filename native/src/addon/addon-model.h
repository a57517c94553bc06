#pragma once

#include <napi.h>

#include "llama.h"

#include <string>
#include <vector>

// One loaded GGUF model (or vocabulary) and the LoRA adapters loaded for it.
class AddonModel : public Napi::ObjectWrap<AddonModel> {
public:
    static Napi::Function Init(Napi::Env env);
    explicit AddonModel(const Napi::CallbackInfo & info);
    ~AddonModel() override;

    llama_model *                     model = nullptr;
    std::vector<llama_adapter_lora *> loras;
    int                               busy = 0; // contexts alive on this model; dispose() refuses while > 0
    int32_t offloaded_layers               = 0; // of n_layer + 1 (the output layer counts), on iit_offload_devices()
    int64_t held_bytes                     = 0; // reported to V8 as external memory while loaded

    const llama_vocab * vocab() const { return llama_model_get_vocab(model); }
    void                check_loaded(Napi::Env env) const; // throws DISPOSED

private:
    Napi::Value Load(const Napi::CallbackInfo & info);
    Napi::Value Meta(const Napi::CallbackInfo & info);
    Napi::Value Tokenize(const Napi::CallbackInfo & info);
    Napi::Value Detokenize(const Napi::CallbackInfo & info);
    Napi::Value TokenPieces(const Napi::CallbackInfo & info);
    Napi::Value ResolveTokens(const Napi::CallbackInfo & info);
    Napi::Value LoadLora(const Napi::CallbackInfo & info);
    Napi::Value LoraMeta(const Napi::CallbackInfo & info);
    Napi::Value Embed(const Napi::CallbackInfo & info); // addon-embed.cpp
    Napi::Value Dispose(const Napi::CallbackInfo & info);
    void        free_model();
};

// The loaded model behind `v` (named `name` in errors): INVALID_ARGUMENT when it is no AddonModel,
// DISPOSED when it is not loaded or was disposed.
AddonModel * iit_unwrap_model(const Napi::Value & v, const std::string & name);
