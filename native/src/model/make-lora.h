// Writes a GGUF LoRA adapter for a base model: A random (Kaiming-like), B zero (the usual start
// of training: the adapter is then a no-op) or random with std b_std.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct iit_make_lora_params {
    std::string              base_path;
    std::string              out_path;
    int32_t                  rank    = 8;
    float                    alpha   = 16.0f;
    std::vector<std::string> targets = { "attn_q", "attn_v" }; // matched against "blk.N.<target>.weight"
    float                    b_std   = 0.0f;
    uint32_t                 seed    = 42;
};

// Returns "" on success, else an error message; n_params receives the adapter's parameter count.
std::string iit_make_lora(const iit_make_lora_params & p, uint64_t & n_params);
