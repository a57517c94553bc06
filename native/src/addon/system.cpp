#include "addon/system.h"

#include "addon/external-memory.h"
#include "ggml-backend.h"

#include <algorithm>

namespace {
const char * dev_type_name(enum ggml_backend_dev_type t) {
    switch (t) {
        case GGML_BACKEND_DEVICE_TYPE_CPU: return "cpu";
        case GGML_BACKEND_DEVICE_TYPE_GPU: return "gpu";
        case GGML_BACKEND_DEVICE_TYPE_IGPU: return "igpu";
        case GGML_BACKEND_DEVICE_TYPE_ACCEL: return "accel";
        default: return "other";
    }
}

std::vector<ggml_backend_dev_t> devices_of_type(enum ggml_backend_dev_type t) {
    std::vector<ggml_backend_dev_t> out;
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        ggml_backend_dev_t d = ggml_backend_dev_get(i);
        if (ggml_backend_dev_type(d) == t) out.push_back(d);
    }
    return out;
}
} // namespace

// Mirrors llama_prepare_model_devices' default: every GPU; integrated GPUs only when there is none.
std::vector<std::string> iit_offload_devices() {
    std::vector<ggml_backend_dev_t> devs = devices_of_type(GGML_BACKEND_DEVICE_TYPE_GPU);
    if (devs.empty()) devs = devices_of_type(GGML_BACKEND_DEVICE_TYPE_IGPU);
    std::vector<std::string> names;
    for (auto * d : devs) names.push_back(ggml_backend_dev_name(d));
    return names;
}

// llama_model::n_gpu_layers (-1 = all) capped at n_layer + 1 (the output layer counts), as llama-model.cpp does.
int32_t iit_offloaded_layers(const llama_model * model, int32_t n_gpu_layers, bool vocab_only) {
    if (vocab_only || iit_offload_devices().empty()) return 0;
    const int32_t all = llama_model_n_layer(model) + 1;
    return n_gpu_layers < 0 ? all : std::min(n_gpu_layers, all);
}

Napi::Value iit_system_info(const Napi::CallbackInfo & info) {
    Napi::Env    env = info.Env();
    Napi::Object o   = Napi::Object::New(env);
    o.Set("llamaSystemInfo", llama_print_system_info());
    Napi::Array regs = Napi::Array::New(env);
    for (size_t i = 0; i < ggml_backend_reg_count(); i++)
        regs.Set(regs.Length(), ggml_backend_reg_name(ggml_backend_reg_get(i)));
    o.Set("backends", regs);
    Napi::Array devs = Napi::Array::New(env);
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        ggml_backend_dev_t d    = ggml_backend_dev_get(i);
        size_t             free = 0, total = 0;
        ggml_backend_dev_memory(d, &free, &total);
        Napi::Object od = Napi::Object::New(env);
        od.Set("name", ggml_backend_dev_name(d));
        od.Set("description", ggml_backend_dev_description(d));
        od.Set("backend", ggml_backend_reg_name(ggml_backend_dev_backend_reg(d)));
        od.Set("type", dev_type_name(ggml_backend_dev_type(d)));
        od.Set("memoryFree", (double) free);
        od.Set("memoryTotal", (double) total);
        devs.Set(devs.Length(), od);
    }
    o.Set("devices", devs);
    Napi::Array off = Napi::Array::New(env);
    for (const auto & n : iit_offload_devices()) off.Set(off.Length(), n);
    o.Set("offloadDevices", off);
    o.Set("gpuOffload", llama_supports_gpu_offload());
    o.Set("heldBytes", (double) iit_external_total());
    return o;
}
