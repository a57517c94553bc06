#include "model/gguf-check.h"

#include "ggml.h"
#include "gguf.h"

#include <cstdio>
#include <cstring>
#include <filesystem>

iit_gguf_check iit_gguf_check_file(const std::string & path) {
    iit_gguf_check r;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        r.code = "NOT_FOUND";
        r.message = "no such file: " + path;
        return r;
    }
    const uint64_t file_size = std::filesystem::file_size(path, ec);
    r.size = file_size;
    char magic[4] = {0};
    if (FILE * f = std::fopen(path.c_str(), "rb")) {
        size_t n = std::fread(magic, 1, 4, f);
        std::fclose(f);
        if (n != 4 || std::memcmp(magic, "GGUF", 4) != 0) {
            r.code = "NOT_GGUF";
            r.message = path + " is not a GGUF file (it does not start with the GGUF magic bytes)";
            return r;
        }
    } else {
        r.code = "NOT_FOUND";
        r.message = "cannot open " + path;
        return r;
    }
    gguf_init_params params = { /*.no_alloc =*/ true, /*.ctx =*/ nullptr };
    ggml_context * meta = nullptr;
    params.ctx = &meta;
    gguf_context * g = gguf_init_from_file(path.c_str(), params);
    if (!g) {
        r.code = "GGUF_CORRUPT";
        r.message = path + " has a GGUF header that cannot be read (corrupt or truncated metadata)";
        return r;
    }
    uint64_t need = gguf_get_data_offset(g);
    const int64_t n_tensors = gguf_get_n_tensors(g);
    for (int64_t i = 0; i < n_tensors; i++) {
        ggml_tensor * t = ggml_get_tensor(meta, gguf_get_tensor_name(g, i));
        uint64_t end = gguf_get_data_offset(g) + gguf_get_tensor_offset(g, i) + (t ? ggml_nbytes(t) : 0);
        if (end > need) need = end;
    }
    r.need = need;
    if (n_tensors > 0 && need > file_size) {
        r.code = "GGUF_TRUNCATED";
        r.message = path + " is truncated: its tensors need " + std::to_string(need) + " bytes but the file has " +
                    std::to_string(file_size) + " (re-download or re-convert it)";
    }
    int64_t k = gguf_find_key(g, "general.architecture");
    if (k >= 0 && gguf_get_kv_type(g, k) == GGUF_TYPE_STRING) r.arch = gguf_get_val_str(g, k);
    k = gguf_find_key(g, "general.type");
    r.type = (k >= 0 && gguf_get_kv_type(g, k) == GGUF_TYPE_STRING) ? gguf_get_val_str(g, k) : "model";
    gguf_free(g);
    ggml_free(meta);
    return r;
}
