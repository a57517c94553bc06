// The rule adapter of Hewitt et al. 2024 ("Instruction Following without Instruction Tuning",
// paper §6 / App. E, code `open_instruct/combined_model.py` at bc261e5) as a llama.cpp sampler.
// Pure llama.cpp code (no N-API), so it builds and is tested alone (native/tests/test-rules-sampler.cpp).
//
// Product of experts. The paper's code combines  log_softmax(base_logits) + log_softmax(rule_scores).
// This sampler adds the rule scores r to the logits it is given, so it must run first in the chain,
// on the raw logits. Both log_softmax terms differ from the raw vectors by one constant per step
// (log_softmax(x)_i = x_i - logsumexp(x)), and every sampler that can follow in a chain is
// invariant to adding the same constant to all logits: greedy (argmax), dist/top-k/top-p/min-p/
// typical/xtc/mirostat/temp-ext (they work on softmax(logits), which is shift-invariant), temp (a
// shift c becomes c/t, still one constant), top-n-sigma (max and std shift together), logit-bias
// and DRY (additive). So with the default `normalize = false` the sampler adds raw r, and the
// chain picks exactly the tokens the paper's combination would. (The one llama.cpp sampler that is
// not shift-invariant is `penalties` with repeat != 1, which scales a logit by its sign; the paper
// has no such stage.)
// `normalize = true` adds the code's exact rule term log_softmax(r)_i = r_i - logsumexp(r) instead,
// logsumexp taken over the whole vocabulary. Because r is sparse it costs O(#non-zero scores) plus
// one pass over the candidates to subtract it (about 15-25 us per token on a 32k vocabulary, vs
// < 1 us for the raw scores). The base term's own logsumexp is never subtracted.
//
// The rules (each on or off by itself; scores are collected into one vector r, then added):
//   - fixed token scores ("uniform", paper rule 2): r[id] = score, ASSIGNED as in the code (an id
//     listed twice keeps its last score); the repetition rule then adds on top;
//   - repetition ("diversity", rule 3): r[id] += rep_score once for every distinct id in scope;
//   - start (code only, off in the paper): at the 1st response position r += start_scale x
//     score_string(piece) over the vocabulary, at the 2nd r["!"] += start_bang, at the 3rd
//     r["\n"] += start_newline;
//   - EOS (rule 1): r[eos] += eos_score(n), n = tokens generated so far (see the params).
//
// Per-sequence state: one sampler per sequence. Call iit_rules_set_prompt() with the
// sequence's prompt before generating; llama_sampler_accept() (done by llama_sampler_sample and
// by the chain) adds each generated token. The prompt must end where the response starts (the
// assistant tag is its tail), because n counts accepted tokens.
//
// Cost: apply allocates nothing. On the unsorted full-vocabulary array that llama_sampler_sample
// builds (data[i].id == i) it touches only the ids with a non-zero score (< 1 us per token); any
// other array (sorted, truncated, shuffled), the start rule's first position and `normalize` take
// one pass over the candidates with a dense id -> score lookup (~15-25 us on 32k entries).
#pragma once

#include "llama.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

enum iit_rules_eos_mode {
    // n >= eos_end: score 0 again. The paper's code does this (its acknowledged bug, kept for fidelity).
    IIT_RULES_EOS_MODE_RESET = 0,
    // n >= eos_end: the ramp stops growing and keeps eos_slope x (eos_end - eos_start).
    IIT_RULES_EOS_MODE_HOLD = 1,
};

enum iit_rules_rep_scope {
    // every prompt token after the LAST occurrence of `user_tag`, plus the generated tokens: the
    // paper's code (instruction + template + response so far). No user tag in the prompt (or an
    // empty `user_tag`): the whole prompt is in scope, as if the tag preceded it.
    IIT_RULES_REP_SCOPE_AFTER_USER_TAG = 0,
    // generated tokens only: the paper's text ("penalise words already used in the response")
    IIT_RULES_REP_SCOPE_RESPONSE = 1,
};

// Defaults: every rule off (a default config is a no-op); the constants are the paper's, so
// switching a rule on gives the paper's rule.
struct iit_rules_params {
    // EOS rule. eos_score(n) for n generated tokens:
    //   n > eos_hard_after (when eos_hard_after >= 0)  -> eos_hard_score (replaces the ramp)
    //   eos_start < n < eos_end                        -> eos_slope x (n - eos_start)
    //   n >= eos_end                                   -> 0 (RESET) or eos_slope x (eos_end - eos_start) (HOLD)
    //   otherwise                                      -> 0
    // The code: 3 x 5 x (n - 0)/(250 - 0) = 0.06 n for 0 < n < 250 (6.0 at n = 100, 14.94 at 249, 0 at 250).
    bool               eos_enabled    = false;
    float              eos_slope      = 0.06f;
    int32_t            eos_start      = 0;
    int32_t            eos_end        = 250;
    iit_rules_eos_mode eos_mode       = IIT_RULES_EOS_MODE_RESET;
    int32_t            eos_hard_after = -1; // < 0 = off; Listing 1's `prefix_len > 1024` is 1024
    float              eos_hard_score = 100.0f;
    // The EOS rule's targets, chosen by the caller (the library: the model's EOS, the paper's `</s>`, or
    // every end-of-generation token; src/model/resolveRules.ts). None is an error when the rule is on.
    std::vector<llama_token> eos_ids;

    // Repetition rule.
    bool                rep_enabled = false;
    float               rep_score   = -1.5f; // added once per distinct id in scope (negative = penalty)
    iit_rules_rep_scope rep_scope   = IIT_RULES_REP_SCOPE_AFTER_USER_TAG;
    // The user tag as it appears inside the prompt's tokens (context-dependent tokenizers: tokenize
    // "\n<|user|>\n" and keep the tail, as the paper's code keeps the last 5 ids).
    std::vector<llama_token> user_tag;

    // Fixed token scores (ids already resolved, e.g. with iit_token_resolve).
    bool                          fixed_enabled = false;
    std::vector<llama_logit_bias> fixed;

    // Start rule ("!" and "\n" are resolved from text on the vocabulary).
    bool  start_enabled = false;
    float start_scale   = 5.0f;   // x score_string at the 1st response position
    float start_bang    = 15.0f;  // "!" at the 2nd
    float start_newline = -10.0f; // "\n" at the 3rd

    // Add log_softmax(r) instead of r (see the top of this file).
    bool normalize = false;
};

// What the rules need from a vocabulary. iit_sampler_init_rules() derives it from a llama_vocab;
// iit_sampler_init_rules_desc() takes it directly (tests on synthetic logits, no model needed).
struct iit_rules_vocab_desc {
    int32_t                  n_vocab = 0;
    std::vector<llama_token> eos_ids;                          // targets of the EOS rule
    llama_token              start_bang    = LLAMA_TOKEN_NULL; // "!"  (start rule only)
    llama_token              start_newline = LLAMA_TOKEN_NULL; // "\n" (start rule only)
    std::vector<float>       start_scores;                     // score_string per id, n_vocab entries (start rule only)
};

// The code's score_string(piece) on a *rendered* piece (iit_token_render, or with special = true
// for control tokens): "" or " " -> 0; one leading space is stripped; "I" -> -3; "Okay" -> 10;
// first code point upper- or lower-case (Python's str.isupper/islower, Unicode 14 table), CJK
// U+4E00-9FFF, Cyrillic U+0400-04FF, Kana U+3040-30FF or Hangul U+AC00-D7AF -> 1; first byte in
// .,:;!?<>[]{}()"'`~@#$%^&*-=+\|/ -> -1; anything else (digits, whitespace, uncased letters,
// invalid UTF-8) -> 0. The code scores raw SentencePiece pieces, where byte tokens ("<0x0A>") and
// <s>, </s>, <unk> start with "<": iit_sampler_init_rules gives byte tokens -1 and renders
// control/unknown tokens with special = true, so the Llama-2 scores equal the code's.
float iit_rules_score_string(const std::string & piece);

// "" when `params` is valid for `vocab`, else one sentence naming the field and what to do.
std::string iit_rules_params_check(const llama_vocab * vocab, const iit_rules_params & params);
std::string iit_rules_params_check_desc(const iit_rules_vocab_desc & desc, const iit_rules_params & params);

// Returns nullptr when the params check fails; a no-op sampler named "?iit-rules" when every rule is off.
// Add it first to a chain (the chain takes ownership) or free it with llama_sampler_free.
llama_sampler * iit_sampler_init_rules(const llama_vocab * vocab, const iit_rules_params & params);
llama_sampler * iit_sampler_init_rules_desc(const iit_rules_vocab_desc & desc, const iit_rules_params & params);

// Sets the sequence's prompt and resets the state (generated count, repetition set). Call once
// before generation. `smpl` may be a rules sampler or a chain holding one (every rules sampler in it
// is set); on any other sampler, including the "?iit-rules" no-op, it does nothing.
// llama_sampler_reset() later returns to the state right after this call (the prompt is kept);
// llama_sampler_clone() copies the prompt and the state.
void iit_rules_set_prompt(llama_sampler * smpl, const llama_token * tokens, size_t n_tokens);

// Index in the last prompt where the repetition scope begins: just after the last user tag;
// 0 when the tag is absent (whole prompt in scope); the prompt length in RESPONSE scope or with
// the repetition rule off; -1 when `smpl` is not a rules sampler. Lets callers warn about a missing tag.
int32_t iit_rules_scope_begin(const llama_sampler * smpl);
