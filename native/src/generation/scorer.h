// Teacher-forced scoring: log-probabilities of given tokens, and the top next tokens after a
// sequence. Used by the judge (label probabilities), the response-ranking analysis and the server.
#pragma once

#include "llama.h"
#include "sampling/rules-sampler.h"
#include "threading/thread-tuner.h"

#include <functional>
#include <string>
#include <vector>

using iit_top = std::vector<std::pair<llama_token, float>>; // (token, logprob), best first

struct iit_score_result {
    std::vector<float>   token_logprobs; // log p(tokens[i] | tokens[<i]) for i = from .. n-1
    std::vector<iit_top> top; // top-k at each scored position i = from .. n-1, then the next token after the sequence
};

// Scores each sequence in turn on sequence 0 of ctx. from[i] >= 1 (the first token has no
// prediction). With `rules`, under the product distribution the rule adapter samples from:
// log_softmax(logits + rule scores), the adapter's state (repetition scope, tokens generated) set
// from tokens[<from] as the prompt and advanced by each scored token. Each decode runs at `tuner`'s thread
// count when there is one. Returns "" or an error message.
std::string iit_score(llama_context * ctx, const std::vector<std::vector<llama_token>> & seqs,
                      const std::vector<int32_t> & from, int32_t top_k, const std::function<bool()> & should_abort,
                      std::vector<iit_score_result> & out, const iit_rules_params * rules = nullptr,
                      iit_thread_tuner * tuner = nullptr);
