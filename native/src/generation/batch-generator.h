// Continuous-batching generation over one llama_context: many prompts, up to n_seq_max
// sequences decoded together, each with its own sampler chain. Pure llama.cpp (no N-API).
#pragma once

#include "llama.h"
#include "sampling/rules-sampler.h"
#include "threading/thread-tuner.h"

#include <functional>
#include <string>
#include <vector>

// Builds a fresh sampler chain for one prompt; the generator owns and frees it.
using iit_chain_factory = std::function<llama_sampler *(const std::vector<llama_token> & prompt)>;

struct iit_gen_params {
    int32_t                  max_tokens = 256;
    std::vector<std::string> stop_strings;   // generation ends before the first occurrence
    int32_t                  n_parallel = 1; // sequences decoded together (<= llama_n_seq_max)
    bool                     stream     = false;
    bool                     ignore_eos = false; // keep going past end-of-generation tokens (benchmarks)
    // Expert contexts decode the same batches in lockstep (same sequences and positions);
    // *expert_row is set to the sampled sequence's batch index before each sample.
    std::vector<llama_context *> experts;
    int32_t *                    expert_row = nullptr;
    // >= 0: report each sampled token's logprob (the end-of-generation token too) and this many
    // alternatives, under log_softmax(logits + rule scores) when `logprobs_rules` is set: the numbers
    // teacher-forced scoring gives (iit_score), while the tokens are made, for streams
    int32_t                  logprobs_top   = -1;
    const iit_rules_params * logprobs_rules = nullptr;
    iit_thread_tuner *       tuner          = nullptr; // the context's: each decode runs at its count (none: fixed)
};

struct iit_token_logprobs {
    llama_token                                token   = 0;
    float                                      logprob = 0.0f;
    std::vector<std::pair<llama_token, float>> top; // best first
};

enum iit_stop_reason {
    IIT_STOP_EOG,        // the model produced an end-of-generation token
    IIT_STOP_MAX_TOKENS, // the token budget was reached
    IIT_STOP_STRING,     // a stop string appeared
    IIT_STOP_CONTEXT,    // the sequence filled its share of the context
    IIT_STOP_ABORTED,    // cancelled by the caller
};

const char * iit_stop_reason_name(iit_stop_reason r);

struct iit_gen_result {
    std::vector<llama_token> tokens; // generated tokens (EOG and stop-string tail excluded)
    std::string              text;
    iit_stop_reason          reason   = IIT_STOP_EOG;
    int32_t                  n_prompt = 0;
};

struct iit_gen_callbacks {
    std::function<void(size_t index, llama_token token)>             on_token; // only when params.stream
    std::function<void(size_t index, const iit_gen_result & result)> on_done;
    // true once the caller has dropped prompt `index` (a client that went away): it ends at its next
    // token as IIT_STOP_ABORTED, or is not started, and its slot goes to the next waiting prompt
    std::function<bool(size_t index)>                                stopped;
    std::function<void(size_t index, const iit_token_logprobs & lp)> on_logprobs; // only when params.logprobs_top >= 0
    // Prompts that arrived while it runs (continuous batching), asked for whenever a slot is free: it moves
    // them into `more` (they get the next indices) and returns true, or returns false. With `last` (no
    // sequence left) a false answer must also close the intake, atomically: the generation then ends.
    std::function<bool(std::vector<std::vector<llama_token>> & more, bool last)> intake;
};

// How a generation failed: code is "" on success (an abort included), else GENERATION_FAILED or
// LOGITS_NOT_FINITE (the model produced NaN or infinite logits: its weights are broken).
struct iit_gen_status {
    std::string code;
    std::string message;
};

// Runs every prompt to completion, and those the intake adds while it runs. results[i] is filled for every
// prompt that finished (including aborted ones, marked IIT_STOP_ABORTED); a failure stops every prompt.
iit_gen_status iit_generate(llama_context * ctx, const std::vector<std::vector<llama_token>> & prompts,
                            const iit_gen_params & params, const iit_chain_factory & make_chain,
                            const std::function<bool()> & should_abort, const iit_gen_callbacks & cb,
                            std::vector<iit_gen_result> & results);
