// Writes a random-weight llama GGUF whose vocabulary is copied from another GGUF
// (e.g. the pinned llama.cpp tree's models/ggml-vocab-*.gguf).
#pragma once

#include <cstdint>
#include <string>

struct iit_make_model_params {
    std::string vocab_path;
    std::string out_path;
    int32_t     n_layer   = 2;
    int32_t     n_embd    = 64;
    int32_t     n_head    = 4;
    int32_t     n_head_kv = 4;
    int32_t     n_ff      = 172;
    int32_t     n_ctx     = 2048;
    uint32_t    seed      = 42;
    float       init_std  = 0.02f;
    std::string name      = "iit-random";
    std::string type      = "f32"; // or f16 / q8_0 (quantized with llama.cpp after writing F32)
};

// Returns "" on success, else an error message. n_params receives the parameter count.
std::string iit_make_model(const iit_make_model_params & p, uint64_t & n_params);
