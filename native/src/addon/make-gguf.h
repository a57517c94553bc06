// makeModel and makeLora: a random model or LoRA adapter written as GGUF off the JS thread.
#pragma once

#include <napi.h>

// makeModel({vocabPath, outPath, nLayer, nEmbd, nHead, nHeadKv, nFf, nCtx, seed, name, type}) -> Promise<{path, nParams}>
Napi::Value iit_make_model_js(const Napi::CallbackInfo & info);
// makeLora({basePath, outPath, rank, alpha, targets: string[], bStd, seed}) -> Promise<{path, nParams}>
Napi::Value iit_make_lora_js(const Napi::CallbackInfo & info);
