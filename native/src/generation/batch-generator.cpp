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

// "" when every prompt has tokens and fits its sequence's share of the context, else the error.
std::string check_prompts(const std::vector<std::vector<llama_token>> & prompts, int32_t n_ctx_seq) {
    for (size_t i = 0; i < prompts.size(); i++) {
        if (prompts[i].empty()) return "prompt " + std::to_string(i) + " has no tokens";
        if ((int32_t) prompts[i].size() >= n_ctx_seq) {
            return "prompt " + std::to_string(i) + " has " + std::to_string(prompts[i].size()) +
                   " tokens but each sequence has a context of " + std::to_string(n_ctx_seq) +
                   " tokens; raise the context size (--ctx) or shorten the prompt";
        }
    }
    return "";
}

// One iit_generate call: its slots, the prompts waiting for one, and the batch they share.
class generator {
public:
    generator(llama_context * ctx, const std::vector<std::vector<llama_token>> & prompts, const iit_gen_params & params,
              const iit_chain_factory & make_chain, const iit_gen_callbacks & cb,
              std::vector<iit_gen_result> & results) :
        ctx_(ctx),
        vocab_(llama_model_get_vocab(llama_get_model(ctx))),
        mem_(llama_get_memory(ctx)),
        n_ctx_seq_((int32_t) llama_n_ctx_seq(ctx)),
        n_batch_((int32_t) llama_n_batch(ctx)),
        n_vocab_(llama_vocab_n_tokens(vocab_)),
        prompts_(prompts.begin(), prompts.end()),
        params_(params),
        make_chain_(make_chain),
        cb_(cb),
        results_(results),
        slots_(std::max(1, std::min<int32_t>(params.n_parallel, (int32_t) llama_n_seq_max(ctx)))),
        batch_(llama_batch_init(n_batch_, 0, 1)) {
        for (size_t s = 0; s < slots_.size(); s++) slots_[s].seq = (llama_seq_id) s;
        for (size_t i = 0; i < prompts.size(); i++) queue_.push_back(i);
    }
    ~generator() { llama_batch_free(batch_); }
    generator(const generator &)             = delete;
    generator & operator=(const generator &) = delete;

    iit_gen_status run(const std::function<bool()> & should_abort) {
        iit_gen_status status;
        while (true) {
            if (should_abort && should_abort()) {
                finish_all(IIT_STOP_ABORTED);
                break;
            }
            if (cb_.stopped) drop_stopped();
            take_arrivals(false);
            start_waiting();
            if (!any_active()) {
                if (!take_arrivals(true)) break; // nothing left, and the intake is closed
                continue;                        // start what arrived at the top of the loop
            }
            if (!fill_batch()) break; // cannot happen: an active slot always feeds something
            if (!decode(status) || !sample_all(status)) {
                finish_all(IIT_STOP_ABORTED);
                break;
            }
        }
        return status;
    }

private:
    void clear_seq(llama_seq_id seq) {
        llama_memory_seq_rm(mem_, seq, -1, -1);
        for (auto * e : params_.experts) llama_memory_seq_rm(llama_get_memory(e), seq, -1, -1);
    }

    void finish(slot & sl, iit_stop_reason reason) {
        sl.res.reason      = reason;
        results_[sl.index] = std::move(sl.res);
        if (cb_.on_done) cb_.on_done(sl.index, results_[sl.index]);
        llama_sampler_free(sl.chain);
        if (sl.lp_rules) llama_sampler_free(sl.lp_rules);
        const llama_seq_id seq = sl.seq;
        sl                     = slot{};
        sl.seq                 = seq;
        clear_seq(seq);
    }

    void finish_all(iit_stop_reason reason) {
        for (auto & sl : slots_)
            if (sl.active) finish(sl, reason);
    }

    bool any_active() const {
        return std::any_of(slots_.begin(), slots_.end(), [](const slot & sl) { return sl.active; });
    }

    // Prompts the caller dropped end now: running ones at this token, waiting ones before they start.
    void drop_stopped() {
        for (auto & sl : slots_)
            if (sl.active && cb_.stopped(sl.index)) finish(sl, IIT_STOP_ABORTED);
        for (auto it = queue_.begin(); it != queue_.end();) {
            if (!cb_.stopped(*it)) {
                ++it;
                continue;
            }
            results_[*it].reason   = IIT_STOP_ABORTED;
            results_[*it].n_prompt = (int32_t) prompts_[*it].size();
            if (cb_.on_done) cb_.on_done(*it, results_[*it]);
            it = queue_.erase(it);
        }
    }

    // Prompts that arrived while it runs join the queue when a slot is free for them (continuous batching).
    // A prompt that does not fit its sequence's context finishes at once as IIT_STOP_CONTEXT, with no tokens.
    bool take_arrivals(bool last) {
        if (!cb_.intake) return false;
        const bool free_slot = std::any_of(slots_.begin(), slots_.end(), [](const slot & sl) { return !sl.active; });
        if (!last && (!free_slot || !queue_.empty())) return false;
        std::vector<std::vector<llama_token>> more;
        if (!cb_.intake(more, last)) return false;
        for (auto & p : more) {
            const size_t i = prompts_.size();
            prompts_.push_back(std::move(p));
            results_.emplace_back();
            if (prompts_[i].empty() || (int32_t) prompts_[i].size() >= n_ctx_seq_) {
                results_[i].reason   = IIT_STOP_CONTEXT;
                results_[i].n_prompt = (int32_t) prompts_[i].size();
                if (cb_.on_done) cb_.on_done(i, results_[i]);
            } else {
                queue_.push_back(i);
            }
        }
        return true;
    }

    void start_waiting() {
        for (auto & sl : slots_) {
            if (sl.active || queue_.empty()) continue;
            sl.active = true;
            sl.index  = queue_.front();
            queue_.pop_front();
            sl.prompt = &prompts_[sl.index];
            sl.chain  = make_chain_(*sl.prompt);
            sl.greedy = iit_chain_is_greedy(sl.chain);
            if (params_.logprobs_top >= 0 && params_.logprobs_rules) {
                sl.lp_rules = iit_sampler_init_rules(vocab_, *params_.logprobs_rules);
                if (sl.lp_rules) iit_rules_set_prompt(sl.lp_rules, sl.prompt->data(), sl.prompt->size());
            }
            sl.res.n_prompt = (int32_t) sl.prompt->size();
            clear_seq(sl.seq);
        }
    }

    void add(slot & sl, llama_token t, bool logits) {
        int32_t i           = batch_.n_tokens++;
        batch_.token[i]     = t;
        batch_.pos[i]       = sl.n_past++;
        batch_.n_seq_id[i]  = 1;
        batch_.seq_id[i][0] = sl.seq;
        batch_.logits[i]    = logits;
        if (logits) sl.i_out = i;
    }

    // One batch: the last sampled token of generating slots, then prompt chunks. False when empty.
    bool fill_batch() {
        batch_.n_tokens = 0;
        for (auto & sl : slots_) {
            sl.i_out = -1;
            if (sl.active && sl.n_fed == sl.prompt->size() && !sl.res.tokens.empty()) {
                add(sl, sl.res.tokens.back(), true);
            }
        }
        for (auto & sl : slots_) {
            while (sl.active && sl.n_fed < sl.prompt->size() && batch_.n_tokens < n_batch_) {
                bool last = sl.n_fed + 1 == sl.prompt->size();
                add(sl, (*sl.prompt)[sl.n_fed++], last);
            }
        }
        return batch_.n_tokens > 0;
    }

    // Decodes the batch on the context and every expert; false when one failed or was aborted (code 2).
    bool decode(iit_gen_status & status) {
        int32_t rc = iit_decode_tuned(ctx_, params_.tuner, batch_);
        for (size_t k = 0; rc == 0 && k < params_.experts.size(); k++) rc = llama_decode(params_.experts[k], batch_);
        if (rc == 0) return true;
        if (rc != 2) {
            status = { "GENERATION_FAILED",
                       "llama_decode failed with code " + std::to_string(rc) +
                           (rc == 1 ? " (no room in the KV cache: lower --parallel or raise --ctx)" : "") };
        }
        return false;
    }

    // Samples every slot that has logits in this batch; false on a non-finite logit.
    bool sample_all(iit_gen_status & status) {
        for (auto & sl : slots_) {
            if (!sl.active || sl.i_out < 0) continue;
            if (params_.expert_row) *params_.expert_row = sl.i_out;
            llama_token t = sample(sl, ctx_, n_vocab_);
            // NaN or infinite weights make every logit non-finite, and greedy then picks token 0 forever
            // (empty text that looks like success). The chosen token's own logit shows it at no cost.
            if (!std::isfinite(llama_get_logits_ith(ctx_, sl.i_out)[t])) {
                status = { "LOGITS_NOT_FINITE", "the model produced a non-finite logit (NaN or infinity) at token " +
                                                    std::to_string(sl.res.tokens.size() + 1) + " of prompt " +
                                                    std::to_string(sl.index) };
                return false;
            }
            if (params_.logprobs_top >= 0 && cb_.on_logprobs) {
                token_logprobs(sl, ctx_, n_vocab_, t, params_.logprobs_top, lp_cand_, lp_);
                cb_.on_logprobs(sl.index, lp_);
            }
            accept(sl, t);
        }
        return true;
    }

    // The sampled token ends the slot (end of generation, a stop string, its budget or context) or joins its text.
    void accept(slot & sl, llama_token t) {
        if (!params_.ignore_eos && llama_vocab_is_eog(vocab_, t)) return finish(sl, IIT_STOP_EOG);
        sl.res.tokens.push_back(t);
        size_t before = sl.res.text.size();
        sl.res.text += token_piece(vocab_, t);
        if (params_.stream && cb_.on_token) cb_.on_token(sl.index, t);
        if (!params_.stop_strings.empty() && cut_at_stop(sl.res, params_.stop_strings, before)) {
            finish(sl, IIT_STOP_STRING);
        } else if ((int32_t) sl.res.tokens.size() >= params_.max_tokens) {
            finish(sl, IIT_STOP_MAX_TOKENS);
        } else if (sl.n_past + 1 >= n_ctx_seq_) {
            finish(sl, IIT_STOP_CONTEXT);
        }
    }

    llama_context *                      ctx_;
    const llama_vocab *                  vocab_;
    llama_memory_t                       mem_;
    const int32_t                        n_ctx_seq_, n_batch_, n_vocab_;
    std::deque<std::vector<llama_token>> prompts_; // a deque: slots point into it while it grows
    const iit_gen_params &               params_;
    const iit_chain_factory &            make_chain_;
    const iit_gen_callbacks &            cb_;
    std::vector<iit_gen_result> &        results_;
    std::vector<slot>                    slots_;
    std::deque<size_t>                   queue_;
    llama_batch                          batch_;
    std::vector<llama_token_data>        lp_cand_;
    iit_token_logprobs                   lp_;
};

} // namespace

iit_gen_status iit_generate(llama_context * ctx, const std::vector<std::vector<llama_token>> & prompts,
                            const iit_gen_params & params, const iit_chain_factory & make_chain,
                            const std::function<bool()> & should_abort, const iit_gen_callbacks & cb,
                            std::vector<iit_gen_result> & results) {
    results.assign(prompts.size(), iit_gen_result{});
    const std::string err = check_prompts(prompts, (int32_t) llama_n_ctx_seq(ctx));
    if (!err.empty()) return { "GENERATION_FAILED", err };
    return generator(ctx, prompts, params, make_chain, cb, results).run(should_abort);
}
