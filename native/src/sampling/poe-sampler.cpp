#include "sampling/poe-sampler.h"
#include "sampling/token-resolve.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

// params check

static bool poe_finite(float x) {
    return std::isfinite(x);
}

std::string llama_sampler_poe_params_check_desc(const llama_sampler_poe_vocab_desc & desc, const llama_sampler_poe_params & p) {
    const int32_t n_vocab = desc.n_vocab;
    if (n_vocab <= 0) {
        return "poe sampler: the vocabulary is empty (n_vocab = " + std::to_string(n_vocab) + ")";
    }
    auto bad_id = [n_vocab](llama_token id) { return id < 0 || id >= n_vocab; };

    if (p.eos_enabled) {
        if (p.eos_mode != LLAMA_SAMPLER_POE_EOS_MODE_RESET && p.eos_mode != LLAMA_SAMPLER_POE_EOS_MODE_HOLD) {
            return "poe sampler: eos_mode must be RESET or HOLD";
        }
        if (p.eos_start < 0 || p.eos_end <= p.eos_start) {
            return "poe sampler: the EOS range needs 0 <= eos_start < eos_end (got " +
                std::to_string(p.eos_start) + ", " + std::to_string(p.eos_end) + ")";
        }
        if (!poe_finite(p.eos_slope) || !poe_finite(p.eos_hard_score)) {
            return "poe sampler: eos_slope and eos_hard_score must be finite numbers";
        }
        if (desc.eos_ids.empty()) {
            return "poe sampler: the EOS rule is on but the vocabulary has no end-of-generation token";
        }
        for (llama_token id : desc.eos_ids) {
            if (bad_id(id)) {
                return "poe sampler: EOS token id " + std::to_string(id) + " is outside the vocabulary (n_vocab = " + std::to_string(n_vocab) + ")";
            }
        }
    }

    if (p.rep_enabled) {
        if (p.rep_scope != LLAMA_SAMPLER_POE_REP_SCOPE_AFTER_USER_TAG && p.rep_scope != LLAMA_SAMPLER_POE_REP_SCOPE_RESPONSE) {
            return "poe sampler: rep_scope must be AFTER_USER_TAG or RESPONSE";
        }
        if (!poe_finite(p.rep_score)) {
            return "poe sampler: rep_score must be a finite number";
        }
        for (llama_token id : p.user_tag) {
            if (bad_id(id)) {
                return "poe sampler: user_tag token id " + std::to_string(id) + " is outside the vocabulary (n_vocab = " + std::to_string(n_vocab) + "); tokenize the tag with this model";
            }
        }
    }

    if (p.fixed_enabled) {
        for (const llama_logit_bias & fb : p.fixed) {
            if (bad_id(fb.token)) {
                return "poe sampler: fixed score token id " + std::to_string(fb.token) + " is outside the vocabulary (n_vocab = " + std::to_string(n_vocab) + ")";
            }
            if (!poe_finite(fb.bias)) {
                return "poe sampler: the fixed score of token " + std::to_string(fb.token) + " is not a finite number";
            }
        }
    }

    if (p.start_enabled) {
        if (!poe_finite(p.start_scale) || !poe_finite(p.start_bang) || !poe_finite(p.start_newline)) {
            return "poe sampler: start_scale, start_bang and start_newline must be finite numbers";
        }
        if (bad_id(desc.start_bang)) {
            return "poe sampler: start rule: \"!\" is not a single token of this vocabulary";
        }
        if (bad_id(desc.start_newline)) {
            return "poe sampler: start rule: \"\\n\" is not a single token of this vocabulary";
        }
        if (desc.start_scores.size() != (size_t) n_vocab) {
            return "poe sampler: start rule: start_scores needs one score per vocabulary entry";
        }
        for (float x : desc.start_scores) {
            if (!poe_finite(x)) {
                return "poe sampler: start rule: start_scores must be finite numbers";
            }
        }
    }

    return "";
}

// vocab -> desc

static llama_sampler_poe_vocab_desc poe_vocab_desc(const llama_vocab * vocab, const llama_sampler_poe_params & p) {
    llama_sampler_poe_vocab_desc desc;
    desc.n_vocab = llama_vocab_n_tokens(vocab);

    if (p.eos_enabled) {
        const llama_token eos = llama_vocab_eos(vocab);
        if (!p.eos_all_eog && eos != LLAMA_TOKEN_NULL) {
            desc.eos_ids.push_back(eos);
        } else {
            // every EOG token; also the fallback for vocabularies without an EOS token
            for (llama_token id = 0; id < desc.n_vocab; ++id) {
                if (llama_vocab_is_eog(vocab, id)) {
                    desc.eos_ids.push_back(id);
                }
            }
        }
    }

    if (p.start_enabled) {
        const std::vector<llama_token> ids = iit_token_resolve_many(vocab, { "!", "\n" });
        desc.start_bang    = ids[0];
        desc.start_newline = ids[1];

        // the code scores raw SentencePiece pieces: byte tokens ("<0x0A>") and <s>/</s>/<unk> start
        // with '<'. Render control/unknown tokens with special = true so they keep their '<'.
        desc.start_scores.resize(desc.n_vocab);
        std::vector<char> buf(64);
        for (llama_token id = 0; id < desc.n_vocab; ++id) {
            if (llama_vocab_get_attr(vocab, id) & LLAMA_TOKEN_ATTR_BYTE) {
                desc.start_scores[id] = -1.0f;
                continue;
            }
            int32_t n = llama_token_to_piece(vocab, id, buf.data(), (int32_t) buf.size(), 0, true);
            if (n < 0) {
                buf.resize((size_t) -n);
                n = llama_token_to_piece(vocab, id, buf.data(), (int32_t) buf.size(), 0, true);
            }
            desc.start_scores[id] = n > 0 ? llama_sampler_poe_score_string(std::string(buf.data(), (size_t) n)) : 0.0f;
        }
    }

    return desc;
}

std::string llama_sampler_poe_params_check(const llama_vocab * vocab, const llama_sampler_poe_params & p) {
    if (vocab == nullptr) {
        return "poe sampler: vocab is null";
    }
    return llama_sampler_poe_params_check_desc(poe_vocab_desc(vocab, p), p);
}

// no-op sampler (llama_sampler_init_empty is private to llama-sampler.cpp)

static const char * llama_sampler_poe_empty_name(const struct llama_sampler * /*smpl*/) {
    return "?poe";
}

static void llama_sampler_poe_empty_apply(struct llama_sampler * /*smpl*/, llama_token_data_array * /*cur_p*/) {
}

static struct llama_sampler * llama_sampler_poe_empty_clone(const struct llama_sampler * /*smpl*/);

static struct llama_sampler_i llama_sampler_poe_empty_i = {
    /* .name              = */ llama_sampler_poe_empty_name,
    /* .accept            = */ nullptr,
    /* .apply             = */ llama_sampler_poe_empty_apply,
    /* .reset             = */ nullptr,
    /* .clone             = */ llama_sampler_poe_empty_clone,
    /* .free              = */ nullptr,
    /* .backend_init      = */ nullptr,
    /* .backend_accept    = */ nullptr,
    /* .backend_apply     = */ nullptr,
    /* .backend_set_input = */ nullptr,
    /* .backend_reset     = */ nullptr,
    /* .copy_state        = */ nullptr,
};

static struct llama_sampler * llama_sampler_poe_empty_clone(const struct llama_sampler * /*smpl*/) {
    return llama_sampler_init(&llama_sampler_poe_empty_i, nullptr);
}

// poe

enum {
    POE_LISTED = 1, // id is in `listed` (score[id] may be non-zero)
    POE_SEEN   = 2, // the repetition score has been added to score[id]
};

struct llama_sampler_poe {
    const llama_sampler_poe_params      params;
    const int32_t                       n_vocab;
    const std::vector<llama_token>      eos_ids;
    const llama_token                   start_bang;
    const llama_token                   start_newline;
    const std::vector<llama_logit_bias> fixed;     // deduplicated: the last score of an id wins
    const std::vector<float>            start_r;   // start_scale x score_string, n_vocab entries (start rule only)
    const double                        start_max; // max(start_r), 0 without the start rule
    const double                        start_sum; // sum(exp(start_r - start_max)), n_vocab without the start rule

    std::vector<llama_token> prompt_scope; // the prompt tokens in the repetition scope
    int32_t                  scope_begin;
    int32_t                  n_gen;        // tokens accepted since the prompt

    // the persistent part of r (fixed + repetition) as a dense vector plus the list of its
    // non-zero candidates, so that apply touches only those on an unsorted full-vocabulary array
    std::vector<float>       score;
    std::vector<uint8_t>     flags;
    std::vector<llama_token> listed;

    std::vector<llama_logit_bias> saved; // scratch of apply: values to restore
};

static void llama_sampler_poe_mark_seen(llama_sampler_poe * ctx, llama_token id) {
    if (id < 0 || id >= ctx->n_vocab || (ctx->flags[id] & POE_SEEN)) {
        return;
    }
    if (!(ctx->flags[id] & POE_LISTED)) {
        ctx->listed.push_back(id);
    }
    ctx->flags[id] |= POE_LISTED | POE_SEEN;
    ctx->score[id] += ctx->params.rep_score;
}

// back to the state right after set_prompt
static void llama_sampler_poe_reset_state(llama_sampler_poe * ctx) {
    for (llama_token id : ctx->listed) {
        ctx->score[id] = 0.0f;
        ctx->flags[id] = 0;
    }
    ctx->listed.clear();
    ctx->n_gen = 0;

    // fixed scores are assignments (the code's `output[id] = score`) ...
    for (const llama_logit_bias & fb : ctx->fixed) {
        ctx->score[fb.token] = fb.bias;
        ctx->flags[fb.token] = POE_LISTED;
        ctx->listed.push_back(fb.token);
    }
    // ... and the repetition rule adds on top (`output[w] -= 1.5`)
    for (llama_token id : ctx->prompt_scope) {
        llama_sampler_poe_mark_seen(ctx, id);
    }
}

static float llama_sampler_poe_eos_score(const llama_sampler_poe_params & p, int32_t n) {
    if (p.eos_hard_after >= 0 && n > p.eos_hard_after) {
        return p.eos_hard_score;
    }
    if (p.eos_start < n && n < p.eos_end) {
        return p.eos_slope * (float) (n - p.eos_start);
    }
    if (n >= p.eos_end && p.eos_mode == LLAMA_SAMPLER_POE_EOS_MODE_HOLD) {
        return p.eos_slope * (float) (p.eos_end - p.eos_start);
    }
    return 0.0f;
}

// adds v to score[id] for this step only (undone at the end of apply)
static void llama_sampler_poe_step_add(llama_sampler_poe * ctx, llama_token id, float v) {
    if (v == 0.0f) {
        return;
    }
    ctx->saved.push_back({ id, ctx->score[id] });
    if (!(ctx->flags[id] & POE_LISTED)) {
        ctx->flags[id] |= POE_LISTED;
        ctx->listed.push_back(id);
    }
    ctx->score[id] += v;
}

// logsumexp(r) over the whole vocabulary in O(#listed): r is start_r (or 0) everywhere except the
// listed ids, where score[] is added
static double llama_sampler_poe_logsumexp(const llama_sampler_poe * ctx, bool dense) {
    const float * s    = dense ? ctx->start_r.data() : nullptr;
    const double  smax = dense ? ctx->start_max : 0.0;
    const double  ssum = dense ? ctx->start_sum : (double) ctx->n_vocab;

    double m = smax;
    for (llama_token id : ctx->listed) {
        const double base = s ? s[id] : 0.0;
        m = std::max(m, base + ctx->score[id]);
    }
    double total = std::exp(smax - m) * ssum;
    for (llama_token id : ctx->listed) {
        const double base = s ? s[id] : 0.0;
        total += std::exp(base + ctx->score[id] - m) - std::exp(base - m);
    }
    return m + std::log(total);
}

static const char * llama_sampler_poe_name(const struct llama_sampler * /*smpl*/) {
    return "poe";
}

static void llama_sampler_poe_accept(struct llama_sampler * smpl, llama_token token) {
    auto * ctx = (llama_sampler_poe *) smpl->ctx;
    ctx->n_gen++;
    if (ctx->params.rep_enabled) {
        llama_sampler_poe_mark_seen(ctx, token);
    }
}

static void llama_sampler_poe_apply(struct llama_sampler * smpl, llama_token_data_array * cur_p) {
    auto * ctx = (llama_sampler_poe *) smpl->ctx;
    const llama_sampler_poe_params & p = ctx->params;
    const int32_t n = ctx->n_gen;

    // this step's scores on top of the persistent part
    const size_t n_listed = ctx->listed.size();
    ctx->saved.clear();
    if (p.eos_enabled) {
        const float v = llama_sampler_poe_eos_score(p, n);
        for (llama_token id : ctx->eos_ids) {
            llama_sampler_poe_step_add(ctx, id, v);
        }
    }
    if (p.start_enabled) {
        if (n == 1) {
            llama_sampler_poe_step_add(ctx, ctx->start_bang, p.start_bang);
        } else if (n == 2) {
            llama_sampler_poe_step_add(ctx, ctx->start_newline, p.start_newline);
        }
    }
    // the first response position scores every id
    const bool dense = p.start_enabled && n == 0;

    const float shift = p.normalize ? (float) llama_sampler_poe_logsumexp(ctx, dense) : 0.0f;

    // unsorted full vocabulary (data[id].id == id): touch only the listed ids, as logit_bias does
    bool direct = !dense && !p.normalize;
    if (direct) {
        for (llama_token id : ctx->listed) {
            if ((size_t) id >= cur_p->size || cur_p->data[id].id != id) {
                direct = false;
                break;
            }
        }
    }

    const float * score = ctx->score.data();
    if (direct) {
        for (llama_token id : ctx->listed) {
            cur_p->data[id].logit += score[id];
        }
    } else {
        const float * start = dense ? ctx->start_r.data() : nullptr;
        for (size_t i = 0; i < cur_p->size; ++i) {
            const llama_token id = cur_p->data[i].id;
            float r = 0.0f;
            if (id >= 0 && id < ctx->n_vocab) {
                r = start ? start[id] + score[id] : score[id];
            }
            cur_p->data[i].logit += r - shift;
        }
    }

    // undo this step's scores
    for (auto it = ctx->saved.rbegin(); it != ctx->saved.rend(); ++it) {
        ctx->score[it->token] = it->bias;
    }
    for (size_t i = n_listed; i < ctx->listed.size(); ++i) {
        ctx->flags[ctx->listed[i]] &= (uint8_t) ~POE_LISTED;
    }
    ctx->listed.resize(n_listed);

    cur_p->sorted = false;
}

static void llama_sampler_poe_reset(struct llama_sampler * smpl) {
    llama_sampler_poe_reset_state((llama_sampler_poe *) smpl->ctx);
}

static struct llama_sampler * llama_sampler_poe_clone(const struct llama_sampler * smpl);

static void llama_sampler_poe_free(struct llama_sampler * smpl) {
    delete (llama_sampler_poe *) smpl->ctx;
}

static struct llama_sampler_i llama_sampler_poe_i = {
    /* .name              = */ llama_sampler_poe_name,
    /* .accept            = */ llama_sampler_poe_accept,
    /* .apply             = */ llama_sampler_poe_apply,
    /* .reset             = */ llama_sampler_poe_reset,
    /* .clone             = */ llama_sampler_poe_clone,
    /* .free              = */ llama_sampler_poe_free,
    /* .backend_init      = */ nullptr,
    /* .backend_accept    = */ nullptr,
    /* .backend_apply     = */ nullptr,
    /* .backend_set_input = */ nullptr,
    /* .backend_reset     = */ nullptr,
    /* .copy_state        = */ nullptr,
};

static struct llama_sampler * llama_sampler_poe_clone(const struct llama_sampler * smpl) {
    // config and state (prompt scope, generated count, repetition set), as penalties' clone does
    const auto * ctx = (const llama_sampler_poe *) smpl->ctx;
    return llama_sampler_init(&llama_sampler_poe_i, new llama_sampler_poe(*ctx));
}

llama_sampler * llama_sampler_init_poe_desc(const llama_sampler_poe_vocab_desc & desc, const llama_sampler_poe_params & p) {
    if (!llama_sampler_poe_params_check_desc(desc, p).empty()) {
        return nullptr;
    }

    const bool fixed_on = p.fixed_enabled && !p.fixed.empty();
    if (!p.eos_enabled && !p.rep_enabled && !fixed_on && !p.start_enabled) {
        return llama_sampler_init(&llama_sampler_poe_empty_i, nullptr);
    }

    std::vector<llama_logit_bias> fixed;
    if (fixed_on) {
        std::unordered_map<llama_token, size_t> pos;
        for (const llama_logit_bias & fb : p.fixed) {
            const auto it = pos.find(fb.token);
            if (it == pos.end()) {
                pos.emplace(fb.token, fixed.size());
                fixed.push_back(fb);
            } else {
                fixed[it->second].bias = fb.bias;
            }
        }
    }

    std::vector<llama_token> eos_ids;
    if (p.eos_enabled) {
        eos_ids = desc.eos_ids;
        std::sort(eos_ids.begin(), eos_ids.end());
        eos_ids.erase(std::unique(eos_ids.begin(), eos_ids.end()), eos_ids.end());
    }

    std::vector<float> start_r;
    double start_max = 0.0;
    double start_sum = (double) desc.n_vocab;
    if (p.start_enabled) {
        start_r.resize(desc.n_vocab);
        for (int32_t id = 0; id < desc.n_vocab; ++id) {
            start_r[id] = p.start_scale * desc.start_scores[id];
        }
        start_max = *std::max_element(start_r.begin(), start_r.end());
        start_sum = 0.0;
        for (float x : start_r) {
            start_sum += std::exp((double) x - start_max);
        }
    }

    auto * ctx = new llama_sampler_poe {
        /* .params        = */ p,
        /* .n_vocab       = */ desc.n_vocab,
        /* .eos_ids       = */ std::move(eos_ids),
        /* .start_bang    = */ desc.start_bang,
        /* .start_newline = */ desc.start_newline,
        /* .fixed         = */ std::move(fixed),
        /* .start_r       = */ std::move(start_r),
        /* .start_max     = */ start_max,
        /* .start_sum     = */ start_sum,
        /* .prompt_scope  = */ {},
        /* .scope_begin   = */ 0,
        /* .n_gen         = */ 0,
        /* .score         = */ std::vector<float>(desc.n_vocab, 0.0f),
        /* .flags         = */ std::vector<uint8_t>(desc.n_vocab, 0),
        /* .listed        = */ {},
        /* .saved         = */ {},
    };
    ctx->saved.reserve(ctx->eos_ids.size() + 1);
    llama_sampler_poe_reset_state(ctx);

    return llama_sampler_init(&llama_sampler_poe_i, ctx);
}

llama_sampler * llama_sampler_init_poe(const llama_vocab * vocab, const llama_sampler_poe_params & p) {
    if (vocab == nullptr) {
        return nullptr;
    }
    return llama_sampler_init_poe_desc(poe_vocab_desc(vocab, p), p);
}

// prompt

static void llama_sampler_poe_set_prompt_impl(llama_sampler_poe * ctx, const llama_token * tokens, size_t n_tokens) {
    const llama_sampler_poe_params & p = ctx->params;

    size_t begin = n_tokens;
    if (p.rep_enabled && p.rep_scope == LLAMA_SAMPLER_POE_REP_SCOPE_AFTER_USER_TAG) {
        // just after the LAST occurrence of the tag (the code's loop keeps the last match)
        begin = 0;
        const size_t n_tag = p.user_tag.size();
        if (n_tag > 0 && n_tokens >= n_tag) {
            for (size_t i = n_tokens - n_tag + 1; i-- > 0; ) {
                if (std::equal(p.user_tag.begin(), p.user_tag.end(), tokens + i)) {
                    begin = i + n_tag;
                    break;
                }
            }
        }
    }

    ctx->prompt_scope.assign(tokens + begin, tokens + n_tokens);
    ctx->scope_begin = (int32_t) begin;
    llama_sampler_poe_reset_state(ctx);
}

void llama_sampler_poe_set_prompt(llama_sampler * smpl, const llama_token * tokens, size_t n_tokens) {
    if (smpl == nullptr || (tokens == nullptr && n_tokens > 0)) {
        return;
    }
    if (smpl->iface == &llama_sampler_poe_i) {
        llama_sampler_poe_set_prompt_impl((llama_sampler_poe *) smpl->ctx, tokens, n_tokens);
        return;
    }
    if (llama_sampler_chain_get(smpl, -1) == smpl) {
        const int32_t n = llama_sampler_chain_n(smpl);
        for (int32_t i = 0; i < n; ++i) {
            llama_sampler_poe_set_prompt(llama_sampler_chain_get(smpl, i), tokens, n_tokens);
        }
    }
}

int32_t llama_sampler_poe_scope_begin(const llama_sampler * smpl) {
    if (smpl == nullptr) {
        return -1;
    }
    if (smpl->iface == &llama_sampler_poe_i) {
        return ((const llama_sampler_poe *) smpl->ctx)->scope_begin;
    }
    auto * chain = const_cast<llama_sampler *>(smpl);
    if (llama_sampler_chain_get(chain, -1) == chain) {
        const int32_t n = llama_sampler_chain_n(chain);
        for (int32_t i = 0; i < n; ++i) {
            const int32_t r = llama_sampler_poe_scope_begin(llama_sampler_chain_get(chain, i));
            if (r >= 0) {
                return r;
            }
        }
    }
    return -1;
}
