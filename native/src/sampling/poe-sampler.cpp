#include "sampling/poe-sampler.h"
#include "sampling/token-resolve.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

// score_string

// Code points where Python's str.isupper() or str.islower() is true (categories Lu, Ll and the
// Other_Uppercase/Other_Lowercase properties), as inclusive ranges. Generated with Python 3.11
// (Unicode 14.0.0):
//   c.isupper() or c.islower() for c = chr(0) .. chr(0x10FFFF), consecutive runs
static const uint32_t poe_cased_ranges[][2] = {
    {0x00041, 0x0005A}, {0x00061, 0x0007A}, {0x000AA, 0x000AA}, {0x000B5, 0x000B5}, {0x000BA, 0x000BA}, {0x000C0, 0x000D6},
    {0x000D8, 0x000F6}, {0x000F8, 0x001BA}, {0x001BC, 0x001BF}, {0x001C4, 0x001C4}, {0x001C6, 0x001C7}, {0x001C9, 0x001CA},
    {0x001CC, 0x001F1}, {0x001F3, 0x00293}, {0x00295, 0x002B8}, {0x002C0, 0x002C1}, {0x002E0, 0x002E4}, {0x00345, 0x00345},
    {0x00370, 0x00373}, {0x00376, 0x00377}, {0x0037A, 0x0037D}, {0x0037F, 0x0037F}, {0x00386, 0x00386}, {0x00388, 0x0038A},
    {0x0038C, 0x0038C}, {0x0038E, 0x003A1}, {0x003A3, 0x003F5}, {0x003F7, 0x00481}, {0x0048A, 0x0052F}, {0x00531, 0x00556},
    {0x00560, 0x00588}, {0x010A0, 0x010C5}, {0x010C7, 0x010C7}, {0x010CD, 0x010CD}, {0x010D0, 0x010FA}, {0x010FD, 0x010FF},
    {0x013A0, 0x013F5}, {0x013F8, 0x013FD}, {0x01C80, 0x01C88}, {0x01C90, 0x01CBA}, {0x01CBD, 0x01CBF}, {0x01D00, 0x01DBF},
    {0x01E00, 0x01F15}, {0x01F18, 0x01F1D}, {0x01F20, 0x01F45}, {0x01F48, 0x01F4D}, {0x01F50, 0x01F57}, {0x01F59, 0x01F59},
    {0x01F5B, 0x01F5B}, {0x01F5D, 0x01F5D}, {0x01F5F, 0x01F7D}, {0x01F80, 0x01F87}, {0x01F90, 0x01F97}, {0x01FA0, 0x01FA7},
    {0x01FB0, 0x01FB4}, {0x01FB6, 0x01FBB}, {0x01FBE, 0x01FBE}, {0x01FC2, 0x01FC4}, {0x01FC6, 0x01FCB}, {0x01FD0, 0x01FD3},
    {0x01FD6, 0x01FDB}, {0x01FE0, 0x01FEC}, {0x01FF2, 0x01FF4}, {0x01FF6, 0x01FFB}, {0x02071, 0x02071}, {0x0207F, 0x0207F},
    {0x02090, 0x0209C}, {0x02102, 0x02102}, {0x02107, 0x02107}, {0x0210A, 0x02113}, {0x02115, 0x02115}, {0x02119, 0x0211D},
    {0x02124, 0x02124}, {0x02126, 0x02126}, {0x02128, 0x02128}, {0x0212A, 0x0212D}, {0x0212F, 0x02134}, {0x02139, 0x02139},
    {0x0213C, 0x0213F}, {0x02145, 0x02149}, {0x0214E, 0x0214E}, {0x02160, 0x0217F}, {0x02183, 0x02184}, {0x024B6, 0x024E9},
    {0x02C00, 0x02CE4}, {0x02CEB, 0x02CEE}, {0x02CF2, 0x02CF3}, {0x02D00, 0x02D25}, {0x02D27, 0x02D27}, {0x02D2D, 0x02D2D},
    {0x0A640, 0x0A66D}, {0x0A680, 0x0A69D}, {0x0A722, 0x0A787}, {0x0A78B, 0x0A78E}, {0x0A790, 0x0A7CA}, {0x0A7D0, 0x0A7D1},
    {0x0A7D3, 0x0A7D3}, {0x0A7D5, 0x0A7D9}, {0x0A7F5, 0x0A7F6}, {0x0A7F8, 0x0A7FA}, {0x0AB30, 0x0AB5A}, {0x0AB5C, 0x0AB68},
    {0x0AB70, 0x0ABBF}, {0x0FB00, 0x0FB06}, {0x0FB13, 0x0FB17}, {0x0FF21, 0x0FF3A}, {0x0FF41, 0x0FF5A}, {0x10400, 0x1044F},
    {0x104B0, 0x104D3}, {0x104D8, 0x104FB}, {0x10570, 0x1057A}, {0x1057C, 0x1058A}, {0x1058C, 0x10592}, {0x10594, 0x10595},
    {0x10597, 0x105A1}, {0x105A3, 0x105B1}, {0x105B3, 0x105B9}, {0x105BB, 0x105BC}, {0x10780, 0x10780}, {0x10783, 0x10785},
    {0x10787, 0x107B0}, {0x107B2, 0x107BA}, {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x16E40, 0x16E7F},
    {0x1D400, 0x1D454}, {0x1D456, 0x1D49C}, {0x1D49E, 0x1D49F}, {0x1D4A2, 0x1D4A2}, {0x1D4A5, 0x1D4A6}, {0x1D4A9, 0x1D4AC},
    {0x1D4AE, 0x1D4B9}, {0x1D4BB, 0x1D4BB}, {0x1D4BD, 0x1D4C3}, {0x1D4C5, 0x1D505}, {0x1D507, 0x1D50A}, {0x1D50D, 0x1D514},
    {0x1D516, 0x1D51C}, {0x1D51E, 0x1D539}, {0x1D53B, 0x1D53E}, {0x1D540, 0x1D544}, {0x1D546, 0x1D546}, {0x1D54A, 0x1D550},
    {0x1D552, 0x1D6A5}, {0x1D6A8, 0x1D6C0}, {0x1D6C2, 0x1D6DA}, {0x1D6DC, 0x1D6FA}, {0x1D6FC, 0x1D714}, {0x1D716, 0x1D734},
    {0x1D736, 0x1D74E}, {0x1D750, 0x1D76E}, {0x1D770, 0x1D788}, {0x1D78A, 0x1D7A8}, {0x1D7AA, 0x1D7C2}, {0x1D7C4, 0x1D7CB},
    {0x1DF00, 0x1DF09}, {0x1DF0B, 0x1DF1E}, {0x1E900, 0x1E943}, {0x1F130, 0x1F149}, {0x1F150, 0x1F169}, {0x1F170, 0x1F189},
};

static bool poe_is_cased(uint32_t cpt) {
    const size_t n = sizeof(poe_cased_ranges) / sizeof(poe_cased_ranges[0]);
    size_t lo = 0;
    size_t hi = n;
    while (lo < hi) { // first range whose last code point is >= cpt
        const size_t mid = (lo + hi) / 2;
        if (poe_cased_ranges[mid][1] < cpt) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < n && poe_cased_ranges[lo][0] <= cpt;
}

float llama_sampler_poe_score_string(const std::string & piece) {
    // Reference implementation: score_string() in open_instruct/combined_model.py (bc261e5)
    if (piece.empty() || piece == " ") {
        return 0.0f;
    }
    const size_t off = piece[0] == ' ' ? 1 : 0;
    const size_t len = piece.size() - off;
    const char * s   = piece.data() + off;

    if (len == 1 && s[0] == 'I') {
        return -3.0f;
    }
    if (len == 4 && std::memcmp(s, "Okay", 4) == 0) { // the code's `agreements`
        return 10.0f;
    }

    // first code point; invalid or truncated UTF-8 (partial BPE pieces) scores 0
    const unsigned char c0 = (unsigned char) s[0];
    uint32_t cpt = 0;
    size_t   n   = 0;
    if      (c0 < 0x80)           { cpt = c0;        n = 1; }
    else if ((c0 & 0xE0) == 0xC0) { cpt = c0 & 0x1F; n = 2; }
    else if ((c0 & 0xF0) == 0xE0) { cpt = c0 & 0x0F; n = 3; }
    else if ((c0 & 0xF8) == 0xF0) { cpt = c0 & 0x07; n = 4; }
    else                          { return 0.0f; }
    if (n > len) {
        return 0.0f;
    }
    for (size_t i = 1; i < n; ++i) {
        const unsigned char c = (unsigned char) s[i];
        if ((c & 0xC0) != 0x80) {
            return 0.0f;
        }
        cpt = (cpt << 6) | (c & 0x3F);
    }
    if (cpt > 0x10FFFF) {
        return 0.0f;
    }

    if (poe_is_cased(cpt)) { // s[0].isupper() or s[0].islower()
        return 1.0f;
    }
    if ((cpt >= 0x4E00 && cpt <= 0x9FFF) || // Chinese
        (cpt >= 0x0400 && cpt <= 0x04FF) || // Cyrillic
        (cpt >= 0x3040 && cpt <= 0x30FF) || // Hiragana, Katakana
        (cpt >= 0xAC00 && cpt <= 0xD7AF)) { // Hangul
        return 1.0f;
    }
    if (cpt < 0x80 && std::strchr(".,:;!?<>[]{}()\"'`~@#$%^&*-=+\\|/", (int) cpt) != nullptr) {
        return -1.0f;
    }
    return 0.0f;
}

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
