// Arguments that several of the engine's calls share, read from JS and checked: token sequences, a
// LoRA set, the rule adapter's settings.
#pragma once

#include <napi.h>

#include "addon/js-args.h"
#include "llama.h"
#include "sampling/rules-sampler.h"

#include <string>
#include <vector>

// Int32Array[] of token ids, each id checked against the vocabulary (INVALID_TOKEN names `what` i).
std::vector<std::vector<llama_token>> iit_js_token_seqs(const Napi::Value & v, const std::string & name,
                                                        int32_t n_vocab, const char * what);

struct iit_lora_set {
    std::vector<llama_adapter_lora *> adapters;
    std::vector<float>                scales;
};

// [{index, scale}] over the model's loaded adapters; an index past them is INVALID_ARGUMENT.
iit_lora_set iit_js_lora_set(const Napi::Value & v, const std::string & name,
                             const std::vector<llama_adapter_lora *> & loaded);

// The rule adapter's settings as src/rules resolves them (token ids, not text), checked against the
// vocabulary: RULES_INVALID when they do not fit it.
iit_rules_params iit_js_rules(const Napi::Value & v, const std::string & name, const llama_vocab * vocab);
