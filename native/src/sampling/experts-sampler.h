// Other models as experts (the paper code's general combined model): each expert context decodes
// the same batches as the base, and this sampler adds weight × log_softmax(expert logits) to the
// candidates. Pure llama.cpp code.
#pragma once

#include "llama.h"

#include <vector>

struct iit_experts {
    std::vector<llama_context *> ctxs;
    std::vector<float>           weights;
    int32_t                      row = -1; // batch index of the sequence being sampled; set by the generator
};

// `experts` must outlive the sampler (one iit_experts per generation; the sampler only reads it).
llama_sampler * iit_sampler_init_experts(const iit_experts * experts);
