#include "generation/batch-generator.h"
#include "sampling/chain.h"

#include <algorithm>
#include <cmath>
#include <deque>

const char * iit_stop_reason_name(iit_stop_reason r) {
    switch (r) {
        case IIT_STOP_EOG: return "eos";
        case IIT_STOP_MAX_TOKENS: return "max_tokens";
        case IIT_STOP_STRING: return "stop_string";
        case IIT_STOP_CONTEXT: return "context_full";
        case IIT_STOP_ABORTED: return "aborted";
    }
    return "unknown";
}

namespace {

struct slot {
    bool                             active = false;
    size_t                           index  = 0; // which prompt
    llama_seq_id                     seq    = 0;
    llama_sampler *                  chain  = nullptr;
    bool                             greedy = false; // chain is exactly [greedy]: argmax of the logits row (see sample)
    const std::vector<llama_token> * prompt = nullptr;
    llama_sampler * lp_rules = nullptr; // the rule adapter's twin for logprobs (its state follows the tokens)
    size_t          n_fed    = 0;       // prompt tokens already in the batch/cache
    int32_t         n_past   = 0;
    int32_t         i_out    = -1; // index of this slot's logits in the current batch
    iit_gen_result  res;
};

std::string token_piece(const llama_vocab * vocab, llama_token t) {
    char    buf[256];
    int32_t n = llama_token_to_piece(vocab, t, buf, sizeof(buf), 0, false);
    if (n >= 0) return std::string(buf, n);
    std::string big(-n, '\0');
    n = llama_token_to_piece(vocab, t, big.data(), (int32_t) big.size(), 0, false);
    return big.substr(0, std::max(n, 0));
}

// Cuts res.text at the earliest stop string; true when one was found.
bool cut_at_stop(iit_gen_result & res, const std::vector<std::string> & stops, size_t search_from) {
    size_t best = std::string::npos;
    for (const auto & s : stops) {
        if (s.empty()) continue;
        size_t from = search_from > s.size() ? search_from - s.size() : 0;
        size_t at   = res.text.find(s, from);
        if (at != std::string::npos) best = std::min(best, at);
    }
    if (best == std::string::npos) return false;
    res.text.resize(best);
    return true;
}

// The token of the slot's chain for batch row i_out. A greedy-only chain is the argmax of the row,
// taken directly: llama_sampler_sample would first copy the row into a vocabulary-sized candidate
// array (5% of a step at parallel 8 on a 32k vocabulary). Same scan as llama.cpp's greedy sampler
// (first index of the largest logit), so the token is bit-identical; greedy's accept is a no-op.
llama_token sample(const slot & sl, llama_context * ctx, int32_t n_vocab) {
    if (!sl.greedy) return llama_sampler_sample(sl.chain, ctx, sl.i_out);
    const float * row  = llama_get_logits_ith(ctx, sl.i_out);
    int32_t       best = 0;
    for (int32_t i = 1; i < n_vocab; i++) {
        if (row[i] > row[best]) best = i;
    }
    return best;
}

// The logprob of `t` and the top alternatives in row i_out, under the rules when the slot has them
// (the same arithmetic as iit_score, so a stream's logprobs are the non-stream ones).
void token_logprobs(const slot & sl, llama_context * ctx, int32_t n_vocab, llama_token t, int32_t k,
                    std::vector<llama_token_data> & cand, iit_token_logprobs & out) {
    const float * row = llama_get_logits_ith(ctx, sl.i_out);
    cand.resize(n_vocab);
    for (int32_t i = 0; i < n_vocab; i++) cand[i] = { i, row[i], 0.0f };
    if (sl.lp_rules) {
        llama_token_data_array arr = { cand.data(), cand.size(), -1, false };
        llama_sampler_apply(sl.lp_rules, &arr);
        // the adapter may reorder or drop candidates: back to one entry per id, dropped ones at -inf
        std::vector<float> adapted(n_vocab, -INFINITY);
        for (size_t j = 0; j < arr.size; j++) adapted[arr.data[j].id] = arr.data[j].logit;
        for (int32_t i = 0; i < n_vocab; i++) cand[i] = { i, adapted[i], 0.0f };
        llama_sampler_accept(sl.lp_rules, t);
    }
    float mx = -INFINITY;
    for (const auto & c : cand) mx = std::max(mx, c.logit);
    double sum = 0.0;
    for (const auto & c : cand) sum += std::exp((double) (c.logit - mx));
    const float lse  = mx + (float) std::log(sum);
    out.token        = t;
    out.logprob      = cand[t].logit - lse;
    const int32_t kk = std::min(k, n_vocab);
    std::partial_sort(cand.begin(), cand.begin() + kk, cand.end(),
                      [](const auto & a, const auto & b) { return a.logit > b.logit; });
    out.top.clear();
    for (int32_t j = 0; j < kk; j++) out.top.emplace_back(cand[j].id, cand[j].logit - lse);
}

} // namespace

iit_gen_status iit_generate(llama_context * ctx, const std::vector<std::vector<llama_token>> & prompts,
                            const iit_gen_params & params, const iit_chain_factory & make_chain,
                            const std::function<bool()> & should_abort, const iit_gen_callbacks & cb,
                            std::vector<iit_gen_result> & results) {
    const llama_model * model     = llama_get_model(ctx);
    const llama_vocab * vocab     = llama_model_get_vocab(model);
    llama_memory_t      mem       = llama_get_memory(ctx);
    const int32_t       n_ctx_seq = (int32_t) llama_n_ctx_seq(ctx);
    const int32_t       n_batch   = (int32_t) llama_n_batch(ctx);
    const int32_t       n_vocab   = llama_vocab_n_tokens(vocab);
    const int32_t       n_slots   = std::max(1, std::min<int32_t>(params.n_parallel, (int32_t) llama_n_seq_max(ctx)));

    results.assign(prompts.size(), iit_gen_result{});
    for (size_t i = 0; i < prompts.size(); i++) {
        if (prompts[i].empty()) return { "GENERATION_FAILED", "prompt " + std::to_string(i) + " has no tokens" };
        if ((int32_t) prompts[i].size() >= n_ctx_seq) {
            return { "GENERATION_FAILED", "prompt " + std::to_string(i) + " has " + std::to_string(prompts[i].size()) +
                                              " tokens but each sequence has a context of " +
                                              std::to_string(n_ctx_seq) +
                                              " tokens; raise the context size (--ctx) or shorten the prompt" };
        }
    }

    std::vector<slot> slots(n_slots);
    for (int32_t s = 0; s < n_slots; s++) slots[s].seq = s;
    std::deque<size_t> queue;
    for (size_t i = 0; i < prompts.size(); i++) queue.push_back(i);

    llama_batch                   batch = llama_batch_init(n_batch, 0, 1);
    iit_gen_status                status;
    std::vector<llama_token_data> lp_cand;
    iit_token_logprobs            lp;

    auto finish = [&](slot & sl, iit_stop_reason reason) {
        sl.res.reason     = reason;
        results[sl.index] = std::move(sl.res);
        if (cb.on_done) cb.on_done(sl.index, results[sl.index]);
        llama_sampler_free(sl.chain);
        if (sl.lp_rules) llama_sampler_free(sl.lp_rules);
        const llama_seq_id seq = sl.seq;
        sl                     = slot{};
        sl.seq                 = seq;
        llama_memory_seq_rm(mem, seq, -1, -1);
        for (auto * e : params.experts) llama_memory_seq_rm(llama_get_memory(e), seq, -1, -1);
    };

    while (true) {
        if (should_abort && should_abort()) {
            for (auto & sl : slots)
                if (sl.active) finish(sl, IIT_STOP_ABORTED);
            break;
        }
        if (cb.stopped) {
            for (auto & sl : slots)
                if (sl.active && cb.stopped(sl.index)) finish(sl, IIT_STOP_ABORTED);
            for (auto it = queue.begin(); it != queue.end();) {
                if (!cb.stopped(*it)) {
                    ++it;
                    continue;
                }
                results[*it].reason   = IIT_STOP_ABORTED;
                results[*it].n_prompt = (int32_t) prompts[*it].size();
                if (cb.on_done) cb.on_done(*it, results[*it]);
                it = queue.erase(it);
            }
        }
        // Start waiting prompts in free slots.
        for (auto & sl : slots) {
            if (sl.active || queue.empty()) continue;
            sl.active = true;
            sl.index  = queue.front();
            queue.pop_front();
            sl.prompt = &prompts[sl.index];
            sl.chain  = make_chain(*sl.prompt);
            sl.greedy = iit_chain_is_greedy(sl.chain);
            if (params.logprobs_top >= 0 && params.logprobs_rules) {
                sl.lp_rules = iit_sampler_init_rules(vocab, *params.logprobs_rules);
                if (sl.lp_rules) iit_rules_set_prompt(sl.lp_rules, sl.prompt->data(), sl.prompt->size());
            }
            sl.res.n_prompt = (int32_t) sl.prompt->size();
            llama_memory_seq_rm(mem, sl.seq, -1, -1);
            for (auto * e : params.experts) llama_memory_seq_rm(llama_get_memory(e), sl.seq, -1, -1);
        }
        bool any = false;
        for (auto & sl : slots) any = any || sl.active;
        if (!any) break;

        // One batch: the last sampled token of generating slots, then prompt chunks.
        batch.n_tokens = 0;
        auto add       = [&](slot & sl, llama_token t, bool logits) {
            int32_t i          = batch.n_tokens++;
            batch.token[i]     = t;
            batch.pos[i]       = sl.n_past++;
            batch.n_seq_id[i]  = 1;
            batch.seq_id[i][0] = sl.seq;
            batch.logits[i]    = logits;
            if (logits) sl.i_out = i;
        };
        for (auto & sl : slots) {
            sl.i_out = -1;
            if (sl.active && sl.n_fed == sl.prompt->size() && !sl.res.tokens.empty()) {
                add(sl, sl.res.tokens.back(), true);
            }
        }
        for (auto & sl : slots) {
            while (sl.active && sl.n_fed < sl.prompt->size() && batch.n_tokens < n_batch) {
                bool last = sl.n_fed + 1 == sl.prompt->size();
                add(sl, (*sl.prompt)[sl.n_fed++], last);
            }
        }
        if (batch.n_tokens == 0) break; // cannot happen: an active slot always feeds something

        int32_t rc = llama_decode(ctx, batch);
        for (size_t k = 0; rc == 0 && k < params.experts.size(); k++) rc = llama_decode(params.experts[k], batch);
        if (rc != 0) {
            if (rc != 2) {
                status = { "GENERATION_FAILED",
                           "llama_decode failed with code " + std::to_string(rc) +
                               (rc == 1 ? " (no room in the KV cache: lower --parallel or raise --ctx)" : "") };
            }
            for (auto & sl : slots)
                if (sl.active) finish(sl, IIT_STOP_ABORTED);
            break;
        }

        for (auto & sl : slots) {
            if (!sl.active || sl.i_out < 0) continue;
            if (params.expert_row) *params.expert_row = sl.i_out;
            llama_token t = sample(sl, ctx, n_vocab);
            // NaN or infinite weights make every logit non-finite, and greedy then picks token 0 forever
            // (empty text that looks like success). The chosen token's own logit shows it at no cost.
            if (!std::isfinite(llama_get_logits_ith(ctx, sl.i_out)[t])) {
                status = { "LOGITS_NOT_FINITE", "the model produced a non-finite logit (NaN or infinity) at token " +
                                                    std::to_string(sl.res.tokens.size() + 1) + " of prompt " +
                                                    std::to_string(sl.index) };
                break;
            }
            if (params.logprobs_top >= 0 && cb.on_logprobs) {
                token_logprobs(sl, ctx, n_vocab, t, params.logprobs_top, lp_cand, lp);
                cb.on_logprobs(sl.index, lp);
            }
            if (!params.ignore_eos && llama_vocab_is_eog(vocab, t)) {
                finish(sl, IIT_STOP_EOG);
                continue;
            }
            sl.res.tokens.push_back(t);
            size_t before = sl.res.text.size();
            sl.res.text += token_piece(vocab, t);
            if (params.stream && cb.on_token) cb.on_token(sl.index, t);
            if (!params.stop_strings.empty() && cut_at_stop(sl.res, params.stop_strings, before)) {
                finish(sl, IIT_STOP_STRING);
            } else if ((int32_t) sl.res.tokens.size() >= params.max_tokens) {
                finish(sl, IIT_STOP_MAX_TOKENS);
            } else if (sl.n_past + 1 >= n_ctx_seq) {
                finish(sl, IIT_STOP_CONTEXT);
            }
        }
        if (!status.code.empty()) {
            for (auto & sl : slots)
                if (sl.active) finish(sl, IIT_STOP_ABORTED);
            break;
        }
    }
    llama_batch_free(batch);
    return status;
}
