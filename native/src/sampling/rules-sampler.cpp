#include "sampling/rules-sampler.h"
#include "sampling/token-resolve.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

// params check

static bool rules_finite(float x) {
    return std::isfinite(x);
}

std::string iit_rules_params_check_desc(const iit_rules_vocab_desc & desc, const iit_rules_params & p) {
    const int32_t n_vocab = desc.n_vocab;
    if (n_vocab <= 0) {
        return "rules sampler: the vocabulary is empty (n_vocab = " + std::to_string(n_vocab) + ")";
    }
    auto bad_id = [n_vocab](llama_token id) { return id < 0 || id >= n_vocab; };

    if (p.eos_enabled) {
        if (p.eos_mode != IIT_RULES_EOS_MODE_RESET && p.eos_mode != IIT_RULES_EOS_MODE_HOLD) {
            return "rules sampler: eos_mode must be RESET or HOLD";
        }
        if (p.eos_start < 0 || p.eos_end <= p.eos_start) {
            return "rules sampler: the EOS range needs 0 <= eos_start < eos_end (got " + std::to_string(p.eos_start) +
                   ", " + std::to_string(p.eos_end) + ")";
        }
        if (!rules_finite(p.eos_slope) || !rules_finite(p.eos_hard_score)) {
            return "rules sampler: eos_slope and eos_hard_score must be finite numbers";
        }
        if (desc.eos_ids.empty()) {
            return "rules sampler: the EOS rule is on but no EOS token id was given";
        }
        for (llama_token id : desc.eos_ids) {
            if (bad_id(id)) {
                return "rules sampler: EOS token id " + std::to_string(id) +
                       " is outside the vocabulary (n_vocab = " + std::to_string(n_vocab) + ")";
            }
        }
    }

    if (p.rep_enabled) {
        if (p.rep_scope != IIT_RULES_REP_SCOPE_AFTER_USER_TAG && p.rep_scope != IIT_RULES_REP_SCOPE_RESPONSE) {
            return "rules sampler: rep_scope must be AFTER_USER_TAG or RESPONSE";
        }
        if (!rules_finite(p.rep_score)) {
            return "rules sampler: rep_score must be a finite number";
        }
        for (llama_token id : p.user_tag) {
            if (bad_id(id)) {
                return "rules sampler: user_tag token id " + std::to_string(id) +
                       " is outside the vocabulary (n_vocab = " + std::to_string(n_vocab) +
                       "); tokenize the tag with this model";
            }
        }
    }

    if (p.fixed_enabled) {
        for (const llama_logit_bias & fb : p.fixed) {
            if (bad_id(fb.token)) {
                return "rules sampler: fixed score token id " + std::to_string(fb.token) +
                       " is outside the vocabulary (n_vocab = " + std::to_string(n_vocab) + ")";
            }
            if (!rules_finite(fb.bias)) {
                return "rules sampler: the fixed score of token " + std::to_string(fb.token) +
                       " is not a finite number";
            }
        }
    }

    if (p.start_enabled) {
        if (!rules_finite(p.start_scale) || !rules_finite(p.start_bang) || !rules_finite(p.start_newline)) {
            return "rules sampler: start_scale, start_bang and start_newline must be finite numbers";
        }
        if (bad_id(desc.start_bang)) {
            return "rules sampler: start rule: \"!\" is not a single token of this vocabulary";
        }
        if (bad_id(desc.start_newline)) {
            return "rules sampler: start rule: \"\\n\" is not a single token of this vocabulary";
        }
        if (desc.start_scores.size() != (size_t) n_vocab) {
            return "rules sampler: start rule: start_scores needs one score per vocabulary entry";
        }
        for (float x : desc.start_scores) {
            if (!rules_finite(x)) {
                return "rules sampler: start rule: start_scores must be finite numbers";
            }
        }
    }

    return "";
}

// vocab -> desc

static iit_rules_vocab_desc rules_vocab_desc(const llama_vocab * vocab, const iit_rules_params & p) {
    iit_rules_vocab_desc desc;
    desc.n_vocab = llama_vocab_n_tokens(vocab);

    if (p.eos_enabled) {
        desc.eos_ids = p.eos_ids;
    }

    if (p.start_enabled) {
        const std::vector<llama_token> ids = iit_token_resolve_many(vocab, { "!", "\n" });
        desc.start_bang                    = ids[0];
        desc.start_newline                 = ids[1];

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
            desc.start_scores[id] = n > 0 ? iit_rules_score_string(std::string(buf.data(), (size_t) n)) : 0.0f;
        }
    }

    return desc;
}

std::string iit_rules_params_check(const llama_vocab * vocab, const iit_rules_params & p) {
    if (vocab == nullptr) {
        return "rules sampler: vocab is null";
    }
    return iit_rules_params_check_desc(rules_vocab_desc(vocab, p), p);
}

// no-op sampler (llama_sampler_init_empty is private to llama-sampler.cpp)

static const char * iit_rules_empty_name(const struct llama_sampler * /*smpl*/) {
    return "?iit-rules";
}

static void iit_rules_empty_apply(struct llama_sampler * /*smpl*/, llama_token_data_array * /*cur_p*/) {}

static struct llama_sampler * iit_rules_empty_clone(const struct llama_sampler * /*smpl*/);

static struct llama_sampler_i iit_rules_empty_i = {
    /* .name              = */ iit_rules_empty_name,
    /* .accept            = */ nullptr,
    /* .apply             = */ iit_rules_empty_apply,
    /* .reset             = */ nullptr,
    /* .clone             = */ iit_rules_empty_clone,
    /* .free              = */ nullptr,
    /* .backend_init      = */ nullptr,
    /* .backend_accept    = */ nullptr,
    /* .backend_apply     = */ nullptr,
    /* .backend_set_input = */ nullptr,
    /* .backend_reset     = */ nullptr,
    /* .copy_state        = */ nullptr,
};

static struct llama_sampler * iit_rules_empty_clone(const struct llama_sampler * /*smpl*/) {
    return llama_sampler_init(&iit_rules_empty_i, nullptr);
}

// rules sampler

enum {
    RULES_LISTED = 1, // id is in `listed` (score[id] may be non-zero)
    RULES_SEEN   = 2, // the repetition score has been added to score[id]
};

struct iit_rules {
    const iit_rules_params              params;
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
    int32_t                  n_gen; // tokens accepted since the prompt

    // the persistent part of r (fixed + repetition) as a dense vector plus the list of its
    // non-zero candidates, so that apply touches only those on an unsorted full-vocabulary array
    std::vector<float>       score;
    std::vector<uint8_t>     flags;
    std::vector<llama_token> listed;

    std::vector<llama_logit_bias> saved; // scratch of apply: values to restore
};

static void iit_rules_mark_seen(iit_rules * ctx, llama_token id) {
    if (id < 0 || id >= ctx->n_vocab || (ctx->flags[id] & RULES_SEEN)) {
        return;
    }
    if (!(ctx->flags[id] & RULES_LISTED)) {
        ctx->listed.push_back(id);
    }
    ctx->flags[id] |= RULES_LISTED | RULES_SEEN;
    ctx->score[id] += ctx->params.rep_score;
}

// back to the state right after set_prompt
static void iit_rules_reset_state(iit_rules * ctx) {
    for (llama_token id : ctx->listed) {
        ctx->score[id] = 0.0f;
        ctx->flags[id] = 0;
    }
    ctx->listed.clear();
    ctx->n_gen = 0;

    // fixed scores are assignments (the code's `output[id] = score`) ...
    for (const llama_logit_bias & fb : ctx->fixed) {
        ctx->score[fb.token] = fb.bias;
        ctx->flags[fb.token] = RULES_LISTED;
        ctx->listed.push_back(fb.token);
    }
    // ... and the repetition rule adds on top (`output[w] -= 1.5`)
    for (llama_token id : ctx->prompt_scope) {
        iit_rules_mark_seen(ctx, id);
    }
}

static float iit_rules_eos_score(const iit_rules_params & p, int32_t n) {
    if (p.eos_hard_after >= 0 && n > p.eos_hard_after) {
        return p.eos_hard_score;
    }
    if (p.eos_start < n && n < p.eos_end) {
        return p.eos_slope * (float) (n - p.eos_start);
    }
    if (n >= p.eos_end && p.eos_mode == IIT_RULES_EOS_MODE_HOLD) {
        return p.eos_slope * (float) (p.eos_end - p.eos_start);
    }
    return 0.0f;
}

// adds v to score[id] for this step only (undone at the end of apply)
static void iit_rules_step_add(iit_rules * ctx, llama_token id, float v) {
    if (v == 0.0f) {
        return;
    }
    ctx->saved.push_back({ id, ctx->score[id] });
    if (!(ctx->flags[id] & RULES_LISTED)) {
        ctx->flags[id] |= RULES_LISTED;
        ctx->listed.push_back(id);
    }
    ctx->score[id] += v;
}

// logsumexp(r) over the whole vocabulary in O(#listed): r is start_r (or 0) everywhere except the
// listed ids, where score[] is added
static double iit_rules_logsumexp(const iit_rules * ctx, bool dense) {
    const float * s    = dense ? ctx->start_r.data() : nullptr;
    const double  smax = dense ? ctx->start_max : 0.0;
    const double  ssum = dense ? ctx->start_sum : (double) ctx->n_vocab;

    double m = smax;
    for (llama_token id : ctx->listed) {
        const double base = s ? s[id] : 0.0;
        m                 = std::max(m, base + ctx->score[id]);
    }
    double total = std::exp(smax - m) * ssum;
    for (llama_token id : ctx->listed) {
        const double base = s ? s[id] : 0.0;
        total += std::exp(base + ctx->score[id] - m) - std::exp(base - m);
    }
    return m + std::log(total);
}

static const char * iit_rules_name(const struct llama_sampler * /*smpl*/) {
    return "iit-rules";
}

static void iit_rules_accept(struct llama_sampler * smpl, llama_token token) {
    auto * ctx = (iit_rules *) smpl->ctx;
    ctx->n_gen++;
    if (ctx->params.rep_enabled) {
        iit_rules_mark_seen(ctx, token);
    }
}

static void iit_rules_apply(struct llama_sampler * smpl, llama_token_data_array * cur_p) {
    auto *                   ctx = (iit_rules *) smpl->ctx;
    const iit_rules_params & p   = ctx->params;
    const int32_t            n   = ctx->n_gen;

    // this step's scores on top of the persistent part
    const size_t n_listed = ctx->listed.size();
    ctx->saved.clear();
    if (p.eos_enabled) {
        const float v = iit_rules_eos_score(p, n);
        for (llama_token id : ctx->eos_ids) {
            iit_rules_step_add(ctx, id, v);
        }
    }
    if (p.start_enabled) {
        if (n == 1) {
            iit_rules_step_add(ctx, ctx->start_bang, p.start_bang);
        } else if (n == 2) {
            iit_rules_step_add(ctx, ctx->start_newline, p.start_newline);
        }
    }
    // the first response position scores every id
    const bool dense = p.start_enabled && n == 0;

    const float shift = p.normalize ? (float) iit_rules_logsumexp(ctx, dense) : 0.0f;

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
            float             r  = 0.0f;
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
        ctx->flags[ctx->listed[i]] &= (uint8_t) ~RULES_LISTED;
    }
    ctx->listed.resize(n_listed);

    cur_p->sorted = false;
}

static void iit_rules_reset(struct llama_sampler * smpl) {
    iit_rules_reset_state((iit_rules *) smpl->ctx);
}

static struct llama_sampler * iit_rules_clone(const struct llama_sampler * smpl);

static void iit_rules_free(struct llama_sampler * smpl) {
    delete (iit_rules *) smpl->ctx;
}

static struct llama_sampler_i iit_rules_i = {
    /* .name              = */ iit_rules_name,
    /* .accept            = */ iit_rules_accept,
    /* .apply             = */ iit_rules_apply,
    /* .reset             = */ iit_rules_reset,
    /* .clone             = */ iit_rules_clone,
    /* .free              = */ iit_rules_free,
    /* .backend_init      = */ nullptr,
    /* .backend_accept    = */ nullptr,
    /* .backend_apply     = */ nullptr,
    /* .backend_set_input = */ nullptr,
    /* .backend_reset     = */ nullptr,
    /* .copy_state        = */ nullptr,
};

static struct llama_sampler * iit_rules_clone(const struct llama_sampler * smpl) {
    // config and state (prompt scope, generated count, repetition set), as penalties' clone does
    const auto * ctx = (const iit_rules *) smpl->ctx;
    return llama_sampler_init(&iit_rules_i, new iit_rules(*ctx));
}

llama_sampler * iit_sampler_init_rules_desc(const iit_rules_vocab_desc & desc, const iit_rules_params & p) {
    if (!iit_rules_params_check_desc(desc, p).empty()) {
        return nullptr;
    }

    const bool fixed_on = p.fixed_enabled && !p.fixed.empty();
    if (!p.eos_enabled && !p.rep_enabled && !fixed_on && !p.start_enabled) {
        return llama_sampler_init(&iit_rules_empty_i, nullptr);
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
    double             start_max = 0.0;
    double             start_sum = (double) desc.n_vocab;
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

    auto * ctx = new iit_rules{
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
    iit_rules_reset_state(ctx);

    return llama_sampler_init(&iit_rules_i, ctx);
}

llama_sampler * iit_sampler_init_rules(const llama_vocab * vocab, const iit_rules_params & p) {
    if (vocab == nullptr) {
        return nullptr;
    }
    return iit_sampler_init_rules_desc(rules_vocab_desc(vocab, p), p);
}

// prompt

static void iit_rules_set_prompt_impl(iit_rules * ctx, const llama_token * tokens, size_t n_tokens) {
    const iit_rules_params & p = ctx->params;

    size_t begin = n_tokens;
    if (p.rep_enabled && p.rep_scope == IIT_RULES_REP_SCOPE_AFTER_USER_TAG) {
        // just after the LAST occurrence of the tag (the code's loop keeps the last match)
        begin              = 0;
        const size_t n_tag = p.user_tag.size();
        if (n_tag > 0 && n_tokens >= n_tag) {
            for (size_t i = n_tokens - n_tag + 1; i-- > 0;) {
                if (std::equal(p.user_tag.begin(), p.user_tag.end(), tokens + i)) {
                    begin = i + n_tag;
                    break;
                }
            }
        }
    }

    ctx->prompt_scope.assign(tokens + begin, tokens + n_tokens);
    ctx->scope_begin = (int32_t) begin;
    iit_rules_reset_state(ctx);
}

void iit_rules_set_prompt(llama_sampler * smpl, const llama_token * tokens, size_t n_tokens) {
    if (smpl == nullptr || (tokens == nullptr && n_tokens > 0)) {
        return;
    }
    if (smpl->iface == &iit_rules_i) {
        iit_rules_set_prompt_impl((iit_rules *) smpl->ctx, tokens, n_tokens);
        return;
    }
    if (llama_sampler_chain_get(smpl, -1) == smpl) {
        const int32_t n = llama_sampler_chain_n(smpl);
        for (int32_t i = 0; i < n; ++i) {
            iit_rules_set_prompt(llama_sampler_chain_get(smpl, i), tokens, n_tokens);
        }
    }
}

int32_t iit_rules_scope_begin(const llama_sampler * smpl) {
    if (smpl == nullptr) {
        return -1;
    }
    if (smpl->iface == &iit_rules_i) {
        return ((const iit_rules *) smpl->ctx)->scope_begin;
    }
    auto * chain = const_cast<llama_sampler *>(smpl);
    if (llama_sampler_chain_get(chain, -1) == chain) {
        const int32_t n = llama_sampler_chain_n(chain);
        for (int32_t i = 0; i < n; ++i) {
            const int32_t r = iit_rules_scope_begin(llama_sampler_chain_get(chain, i));
            if (r >= 0) {
                return r;
            }
        }
    }
    return -1;
}
