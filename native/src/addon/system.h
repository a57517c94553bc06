// What runs where: the ggml backends compiled in, their devices, and which of them a model uses.
#pragma once

#include <napi.h>

#include "llama.h"

#include <string>
#include <vector>

// systemInfo() -> {llamaSystemInfo, backends, devices: [{name, description, backend, type, memoryFree, memoryTotal}], gpuOffload, heldBytes}
Napi::Value iit_system_info(const Napi::CallbackInfo & info);

// The devices llama.cpp's default selection offloads layers to (GPUs, else integrated GPUs), by name.
std::vector<std::string> iit_offload_devices();
// Layers (repeating layers + the output layer) that n_gpu_layers puts on those devices, as llama.cpp counts them.
int32_t iit_offloaded_layers(const llama_model * model, int32_t n_gpu_layers, bool vocab_only);
