#include "generation/scorer.h"

#include <algorithm>
#include <cmath>
#include <vector>

// ggml-cpu's vectorised softmax kernel (the one GGML_OP_SOFT_MAX runs; internal, not in a public
// header, but linked into the addon with the static CPU backend): y[i] = expf(x[i] - max) with the
// SIMD exp of the build's CPU (AVX2/AVX-512/NEON), returning sum(y) accumulated in double per vector.
extern "C" double ggml_vec_soft_max_f32(int n, float * y, const float * x, float max);

namespace {

// log-sum-exp of one logits row, for log_softmax: a max pass, then the shifted exponentials through
// ggml's SIMD exp (was scalar exp in double: ≈24% of scoring a 967-token prompt on a 32k vocabulary).
// The max shift keeps every exponent <= 0, so nothing overflows. `scratch` receives the exponentials.
float row_lse(const float * logits, int32_t n, std::vector<float> & scratch) {
    // 8 independent running maxima: no loop-carried dependency between them (GCC does not vectorise a
    // float max reduction without -ffast-math, but it pipelines these)
    float m8[8];
    for (float & m : m8) m = -INFINITY;
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; k++) m8[k] = logits[i + k] > m8[k] ? logits[i + k] : m8[k];
    }
    float mx = -INFINITY;
    for (float m : m8) mx = m > mx ? m : mx;
    for (; i < n; i++) mx = logits[i] > mx ? logits[i] : mx;
    if (mx == -INFINITY) return mx; // every token banned (rule adapter): log 0
    scratch.resize(n);
    return mx + (float) std::log(ggml_vec_soft_max_f32(n, scratch.data(), logits, mx));
}

} // namespace

std::string iit_score(llama_context * ctx, const std::vector<std::vector<llama_token>> & seqs,
                      const std::vector<int32_t> & from, int32_t top_k, const std::function<bool()> & should_abort,
                      std::vector<iit_score_result> & out, const iit_rules_params * rules, iit_thread_tuner * tuner) {
    const llama_vocab * vocab   = llama_model_get_vocab(llama_get_model(ctx));
    const int32_t       n_vocab = llama_vocab_n_tokens(vocab);
    const int32_t       n_batch = (int32_t) llama_n_batch(ctx);
    const int32_t       n_ctx   = (int32_t) llama_n_ctx_seq(ctx);
    llama_memory_t      mem     = llama_get_memory(ctx);
    out.assign(seqs.size(), iit_score_result{});
    llama_batch                                batch = llama_batch_init(n_batch, 0, 1);
    std::string                                err;
    std::vector<std::pair<llama_token, float>> cand;
    std::vector<llama_token_data>              adapted;     // logits + rule scores, one row
    std::vector<float>                         adapted_row; // the same, indexed by token id
    std::vector<float>                         lse_scratch; // row_lse's exponentials

    for (size_t s = 0; s < seqs.size() && err.empty(); s++) {
        const auto &  toks = seqs[s];
        const int32_t n    = (int32_t) toks.size();
        const int32_t f    = std::max(1, from[s]);
        if (n == 0) {
            err = "sequence " + std::to_string(s) + " is empty";
            break;
        }
        if (n > n_ctx) {
            err = "sequence " + std::to_string(s) + " has " + std::to_string(n) + " tokens, more than the context of " +
                  std::to_string(n_ctx);
            break;
        }
        llama_memory_seq_rm(mem, 0, -1, -1);
        auto &          res = out[s];
        llama_sampler * poe = nullptr;
        if (rules) {
            poe = iit_sampler_init_rules(vocab, *rules);
            if (!poe) {
                err = "the rule adapter could not be created";
                break;
            }
            iit_rules_set_prompt(poe, toks.data(), (size_t) std::min(f, n));
        }
        for (int32_t start = 0; start < n; start += n_batch) {
            if (should_abort && should_abort()) {
                err = "aborted";
                break;
            }
            const int32_t end = std::min(n, start + n_batch);
            batch.n_tokens    = 0;
            for (int32_t i = start; i < end; i++) {
                const int32_t j    = batch.n_tokens++;
                batch.token[j]     = toks[i];
                batch.pos[j]       = i;
                batch.n_seq_id[j]  = 1;
                batch.seq_id[j][0] = 0;
                // Row i predicts token i+1: needed for i+1 >= f, and for the last token (top-k).
                batch.logits[j] = (i + 1 >= f) || (i == n - 1);
            }
            if (int32_t rc = iit_decode_tuned(ctx, tuner, batch); rc != 0) {
                err = "llama_decode failed with code " + std::to_string(rc);
                break;
            }
            for (int32_t i = start; i < end; i++) {
                if (!batch.logits[i - start]) continue;
                const float * row = llama_get_logits_ith(ctx, i - start);
                if (poe && i + 1 >= f) {
                    // positions in order: the adapter's state is that of having generated tokens[f..i]
                    adapted.resize(n_vocab);
                    for (int32_t t = 0; t < n_vocab; t++) adapted[t] = { t, row[t], 0.0f };
                    llama_token_data_array arr = { adapted.data(), adapted.size(), -1, false };
                    llama_sampler_apply(poe, &arr);
                    adapted_row.assign(n_vocab, -INFINITY);
                    for (size_t k = 0; k < arr.size; k++) adapted_row[arr.data[k].id] = arr.data[k].logit;
                    row = adapted_row.data();
                    if (i + 1 < n) llama_sampler_accept(poe, toks[i + 1]);
                }
                const float lse = row_lse(row, n_vocab, lse_scratch);
                if (i + 1 < n) res.token_logprobs.push_back(row[toks[i + 1]] - lse);
                if (top_k > 0 && i + 1 >= f) {
                    cand.resize(n_vocab);
                    for (int32_t t = 0; t < n_vocab; t++) cand[t] = { t, row[t] - lse };
                    const int32_t k = std::min(top_k, n_vocab);
                    std::partial_sort(cand.begin(), cand.begin() + k, cand.end(),
                                      [](const auto & a, const auto & b) { return a.second > b.second; });
                    res.top.emplace_back(cand.begin(), cand.begin() + k);
                }
            }
        }
        if (poe) llama_sampler_free(poe);
    }
    llama_memory_seq_rm(mem, 0, -1, -1);
    llama_batch_free(batch);
    return err;
}
