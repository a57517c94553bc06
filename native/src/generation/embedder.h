// Sentence embeddings from any GGUF: mean pooling over the sequence's tokens, L2-normalised.
// The context must be created with embeddings = true and pooling_type = LLAMA_POOLING_TYPE_MEAN,
// and n_ubatch >= the longest sequence (pooled embeddings need the whole sequence in one ubatch).
#pragma once

#include "llama.h"

#include <functional>
#include <string>
#include <vector>

// The context parameters an embedding context needs (n_ctx tokens per text, all in one ubatch).
llama_context_params iit_embed_context_params(uint32_t n_ctx, int32_t n_threads);

// Embeds each sequence in turn on sequence 0 of ctx; sequences longer than the context are
// truncated to it. out[i] has n_embd floats of unit L2 norm (all zeros for a zero vector).
// Returns "" or an error message ("aborted" when should_abort() said so).
std::string iit_embed(llama_context * ctx, const std::vector<std::vector<llama_token>> & seqs,
                      const std::function<bool()> & should_abort, std::vector<std::vector<float>> & out);
