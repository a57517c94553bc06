#include "model/gguf-check.h"

#include "ggml.h"
#include "gguf.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>

namespace {

// llama.cpp's limits (src/llama-hparams.h): past them llama_model_load aborts on a GGML_ASSERT.
constexpr uint64_t MAX_LAYERS  = 512;
constexpr uint64_t MAX_EXPERTS = 1024;

// An unsigned integer KV as llama.cpp would read it; for an array (a value per layer), its largest.
std::optional<uint64_t> uint_kv(const gguf_context * g, const std::string & key) {
    const int64_t k = gguf_find_key(g, key.c_str());
    if (k < 0) return std::nullopt;
    auto one = [](gguf_type t, const void * p) -> std::optional<uint64_t> {
        switch (t) {
            case GGUF_TYPE_UINT8: return *(const uint8_t *) p;
            case GGUF_TYPE_UINT16: return *(const uint16_t *) p;
            case GGUF_TYPE_UINT32: return *(const uint32_t *) p;
            case GGUF_TYPE_UINT64: return *(const uint64_t *) p;
            case GGUF_TYPE_INT8: return (uint64_t) (int64_t) * (const int8_t *) p; // negatives wrap to huge: refused
            case GGUF_TYPE_INT16: return (uint64_t) (int64_t) * (const int16_t *) p;
            case GGUF_TYPE_INT32: return (uint64_t) (int64_t) * (const int32_t *) p;
            case GGUF_TYPE_INT64: return (uint64_t) * (const int64_t *) p;
            default: return std::nullopt;
        }
    };
    auto int_size = [](gguf_type t) -> size_t {
        switch (t) {
            case GGUF_TYPE_UINT8:
            case GGUF_TYPE_INT8: return 1;
            case GGUF_TYPE_UINT16:
            case GGUF_TYPE_INT16: return 2;
            case GGUF_TYPE_UINT32:
            case GGUF_TYPE_INT32: return 4;
            case GGUF_TYPE_UINT64:
            case GGUF_TYPE_INT64: return 8;
            default: return 0; // not an integer: llama.cpp itself refuses it with an exception
        }
    };
    const gguf_type t = gguf_get_kv_type(g, k);
    if (t != GGUF_TYPE_ARRAY) return int_size(t) ? one(t, gguf_get_val_data(g, k)) : std::nullopt;
    const gguf_type et   = gguf_get_arr_type(g, k);
    const size_t    size = int_size(et);
    if (size == 0) return std::nullopt;
    std::optional<uint64_t> best;
    const size_t            n    = gguf_get_arr_n(g, k);
    const char *            data = (const char *) gguf_get_arr_data(g, k);
    for (size_t i = 0; i < n; i++) {
        auto v = one(et, data + i * size);
        if (v && (!best || *v > *best)) best = v;
    }
    return best;
}

// The hyperparameters that llama.cpp's load_hparams asserts on (src/llama-model.cpp) instead of
// throwing: "" when they are fine, else what is wrong. Absent keys are left to llama.cpp, which
// throws a readable error for a required one.
std::string hparams_problem(const gguf_context * g, const std::string & arch) {
    const std::string a      = arch + ".";
    auto              get    = [&](const char * key) { return uint_kv(g, a + key); };
    auto              num    = [](uint64_t v) { return std::to_string(v); };
    const auto        layers = get("block_count");
    if (layers && (*layers == 0 || *layers > MAX_LAYERS)) {
        return a + "block_count is " + num(*layers) + ": llama.cpp loads 1 to " + num(MAX_LAYERS) + " layers";
    }
    const uint64_t n_layer = layers.value_or(MAX_LAYERS);
    for (const char * key : { "nextn_predict_layers", "posnet.block_count", "convnext.block_count" }) {
        const auto v = get(key);
        if (v && *v > n_layer)
            return a + key + " is " + num(*v) + ", more than the " + num(n_layer) + " layers of block_count";
    }
    const uint64_t experts = get("expert_count").value_or(0);
    const uint64_t used    = get("expert_used_count").value_or(0);
    const uint64_t groups  = get("expert_group_count").value_or(0);
    const uint64_t g_used  = get("expert_group_used_count").value_or(0);
    if (experts > MAX_EXPERTS)
        return a + "expert_count is " + num(experts) + ": llama.cpp supports at most " + num(MAX_EXPERTS);
    if (used > experts) return a + "expert_used_count is " + num(used) + ", more than expert_count " + num(experts);
    if (experts > 0 && used == 0) return a + "expert_used_count is 0 although expert_count is " + num(experts);
    if (experts > 0 && groups >= experts)
        return a + "expert_group_count is " + num(groups) + ", not fewer than expert_count " + num(experts);
    if (experts == 0 && groups != 0) return a + "expert_group_count is " + num(groups) + " in a model without experts";
    if (experts > 0 && groups > 1) {
        if (experts % groups != 0)
            return a + "expert_group_count " + num(groups) + " does not divide expert_count " + num(experts);
        if (g_used == 0 || g_used >= groups) {
            return a + "expert_group_used_count is " + num(g_used) + ": it must be in [1, expert_group_count " +
                   num(groups) + ")";
        }
    }
    const int64_t k = gguf_find_key(g, (a + "rope.scaling.type").c_str());
    if (k >= 0 && gguf_get_kv_type(g, k) == GGUF_TYPE_STRING) {
        const std::string t = gguf_get_val_str(g, k);
        if (t != "none" && t != "linear" && t != "yarn" && t != "longrope") {
            return a + "rope.scaling.type is '" + t + "': llama.cpp knows none, linear, yarn and longrope";
        }
    }
    return "";
}

} // namespace

iit_gguf_check iit_gguf_check_file(const std::string & path) {
    iit_gguf_check  r;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        r.code    = "NOT_FOUND";
        r.message = "no such file: " + path;
        return r;
    }
    const uint64_t file_size = std::filesystem::file_size(path, ec);
    r.size                   = file_size;
    char magic[4]            = { 0 };
    if (FILE * f = std::fopen(path.c_str(), "rb")) {
        size_t n = std::fread(magic, 1, 4, f);
        std::fclose(f);
        if (n != 4 || std::memcmp(magic, "GGUF", 4) != 0) {
            r.code    = "NOT_GGUF";
            r.message = path + " is not a GGUF file (it does not start with the GGUF magic bytes)";
            return r;
        }
    } else {
        r.code    = "NOT_FOUND";
        r.message = "cannot open " + path;
        return r;
    }
    gguf_init_params params = { /*.no_alloc =*/true, /*.ctx =*/nullptr };
    ggml_context *   meta   = nullptr;
    params.ctx              = &meta;
    gguf_context * g        = gguf_init_from_file(path.c_str(), params);
    if (!g) {
        r.code    = "GGUF_CORRUPT";
        r.message = path + " has a GGUF header that cannot be read (corrupt or truncated metadata)";
        return r;
    }
    uint64_t      need      = gguf_get_data_offset(g);
    const int64_t n_tensors = gguf_get_n_tensors(g);
    for (int64_t i = 0; i < n_tensors; i++) {
        ggml_tensor * t   = ggml_get_tensor(meta, gguf_get_tensor_name(g, i));
        uint64_t      end = gguf_get_data_offset(g) + gguf_get_tensor_offset(g, i) + (t ? ggml_nbytes(t) : 0);
        if (end > need) need = end;
    }
    r.need = need;
    if (n_tensors > 0 && need > file_size) {
        r.code    = "GGUF_TRUNCATED";
        r.message = path + " is truncated: its tensors need " + std::to_string(need) + " bytes but the file has " +
                    std::to_string(file_size) + " (re-download or re-convert it)";
    }
    int64_t k = gguf_find_key(g, "general.architecture");
    if (k >= 0 && gguf_get_kv_type(g, k) == GGUF_TYPE_STRING) r.arch = gguf_get_val_str(g, k);
    k      = gguf_find_key(g, "general.type");
    r.type = (k >= 0 && gguf_get_kv_type(g, k) == GGUF_TYPE_STRING) ? gguf_get_val_str(g, k) : "model";
    if (r.code.empty() && r.type != "adapter" && !r.arch.empty()) {
        const std::string why = hparams_problem(g, r.arch);
        if (!why.empty()) {
            r.code = "GGUF_HPARAMS_INVALID";
            r.message =
                path + " cannot be loaded: " + why + " (a corrupt or hand-edited header; re-download or re-convert it)";
        }
    }
    gguf_free(g);
    ggml_free(meta);
    return r;
}
