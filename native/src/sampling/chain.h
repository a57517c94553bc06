// The sampling chain of one sequence: [adapter] -> top-k -> top-p -> min-p -> temperature -> pick.
#pragma once

#include "llama.h"

#include <cstdint>
#include <vector>

struct iit_sampling_params {
    float    temperature = 0.0f; // 0 = greedy
    int32_t  top_k       = 0;    // 0 = off
    float    top_p       = 1.0f; // 1 = off
    float    min_p       = 0.0f; // 0 = off
    uint32_t seed        = 0;
};

// `adapters` (rule adapter, experts) run first, in order, on the raw logits, as a product of
// experts must; the chain takes ownership of them.
llama_sampler * iit_chain_init(const iit_sampling_params & params, const std::vector<llama_sampler *> & adapters);

// True when `chain` is exactly [greedy] (temperature 0, no adapters): picking the argmax of the logits
// row directly is then the same token, without the vocabulary-sized candidate array.
bool iit_chain_is_greedy(llama_sampler * chain);
