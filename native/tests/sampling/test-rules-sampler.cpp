// Tests of the rule adapter (sampling/rules-sampler) and token text resolution (sampling/token-resolve),
// in the style of llama.cpp's tests/test-sampling.cpp: synthetic llama_token_data_arrays, no model.
//
//   test-rules-sampler [models-dir]
//
// models-dir = llama.cpp's models/ (ggml-vocab-llama-spm.gguf, ggml-vocab-llama-bpe.gguf); the
// vocabulary checks are skipped when it is not given or the files are absent. Exit code 0 = all passed.

#include "sampling/rules-sampler.h"
#include "sampling/token-resolve.h"
#include "test-helpers.h"

#include "llama.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

static const int32_t     N_VOCAB = 64;
static const llama_token EOS     = 2;
static const llama_token BANG    = 10;
static const llama_token NEWLINE = 11;

static iit_rules_vocab_desc synthetic_desc() {
    iit_rules_vocab_desc desc;
    desc.n_vocab       = N_VOCAB;
    desc.eos_ids       = { EOS };
    desc.start_bang    = BANG;
    desc.start_newline = NEWLINE;
    for (int32_t id = 0; id < N_VOCAB; ++id) {
        desc.start_scores.push_back((float) (id % 3) - 1.0f); // -1, 0, 1, ...
    }
    return desc;
}

static void test_eos() {
    const auto desc = synthetic_desc();
    struct {
        int32_t n;
        float   reset;
        float   hold;
    } cases[] = {
        { 0, 0.0f, 0.0f },       { 1, 0.06f, 0.06f },  { 100, 6.0f, 6.0f },
        { 249, 14.94f, 14.94f }, { 250, 0.0f, 15.0f }, { 1000, 0.0f, 15.0f },
    };
    for (auto mode : { IIT_RULES_EOS_MODE_RESET, IIT_RULES_EOS_MODE_HOLD }) {
        for (const auto & c : cases) {
            iit_rules_params p;
            p.eos_enabled        = true;
            p.eos_mode           = mode;
            llama_sampler * smpl = iit_sampler_init_rules_desc(desc, p);
            CHECK(smpl != nullptr, "EOS sampler created");
            iit_rules_set_prompt(smpl, nullptr, 0);
            accept_n(smpl, c.n);
            const auto  a    = ADDED(smpl, N_VOCAB);
            const float want = mode == IIT_RULES_EOS_MODE_RESET ? c.reset : c.hold;
            CHECK_NEAR(a[EOS], want, "EOS at n = %d (%s): want %f, got %f", c.n,
                       mode == IIT_RULES_EOS_MODE_RESET ? "reset" : "hold", want, a[EOS]);
            check_zero_except(a, { EOS }, __LINE__);
            llama_sampler_free(smpl);
        }
    }

    // hard stop: n > eos_hard_after replaces the ramp
    {
        iit_rules_params p;
        p.eos_enabled        = true;
        p.eos_hard_after     = 10;
        llama_sampler * smpl = iit_sampler_init_rules_desc(desc, p);
        accept_n(smpl, 10);
        CHECK_NEAR(ADDED(smpl, N_VOCAB)[EOS], 0.6f, "hard stop not yet at n = 10");
        accept_n(smpl, 1);
        CHECK_NEAR(ADDED(smpl, N_VOCAB)[EOS], 100.0f, "hard stop at n = 11");
        llama_sampler_free(smpl);
    }

    // a ramp that starts later is measured from eos_start (the code's n - eos_range[0])
    {
        iit_rules_params p;
        p.eos_enabled        = true;
        p.eos_start          = 10;
        p.eos_end            = 20;
        p.eos_slope          = 0.5f;
        p.eos_mode           = IIT_RULES_EOS_MODE_HOLD;
        llama_sampler * smpl = iit_sampler_init_rules_desc(desc, p);
        accept_n(smpl, 10);
        CHECK_NEAR(ADDED(smpl, N_VOCAB)[EOS], 0.0f, "EOS at n = eos_start is 0");
        accept_n(smpl, 5);
        CHECK_NEAR(ADDED(smpl, N_VOCAB)[EOS], 2.5f, "EOS at n = 15 of (10, 20)");
        accept_n(smpl, 10);
        CHECK_NEAR(ADDED(smpl, N_VOCAB)[EOS], 5.0f, "EOS held at slope x (end - start)");
        llama_sampler_free(smpl);
    }

    // several targets (every EOG token)
    {
        auto d    = desc;
        d.eos_ids = { EOS, 7, EOS }; // a repeated target counts once
        iit_rules_params p;
        p.eos_enabled        = true;
        llama_sampler * smpl = iit_sampler_init_rules_desc(d, p);
        accept_n(smpl, 100);
        const auto a = ADDED(smpl, N_VOCAB);
        CHECK_NEAR(a[EOS], 6.0f, "first EOG target");
        CHECK_NEAR(a[7], 6.0f, "second EOG target");
        check_zero_except(a, { EOS, 7 }, __LINE__);
        llama_sampler_free(smpl);
    }
}

static void test_repetition() {
    const auto                     desc = synthetic_desc();
    const std::vector<llama_token> tag  = { 40, 41 };
    //                                      tag         tag (last)
    const std::vector<llama_token> prompt = { 1, 7, 40, 41, 8, 9, 40, 41, 12, 13, 12 };

    iit_rules_params p;
    p.rep_enabled = true;
    p.user_tag    = tag;

    // after the last user tag: 12 and 13, once each
    {
        llama_sampler * smpl = iit_sampler_init_rules_desc(desc, p);
        iit_rules_set_prompt(smpl, prompt.data(), prompt.size());
        CHECK(iit_rules_scope_begin(smpl) == 8, "scope begins after the last tag, got %d", iit_rules_scope_begin(smpl));
        auto a = ADDED(smpl, N_VOCAB);
        CHECK_NEAR(a[12], -1.5f, "12 (twice after the tag) is penalised once: %f", a[12]);
        CHECK_NEAR(a[13], -1.5f, "13 after the tag is penalised: %f", a[13]);
        check_zero_except(a, { 12, 13 }, __LINE__); // 1, 7, 8, 9 and the tags come before the scope

        accept_n(smpl, 1, 14);
        accept_n(smpl, 1, 12);
        accept_n(smpl, 1, 14);
        a = ADDED(smpl, N_VOCAB);
        CHECK_NEAR(a[14], -1.5f, "a generated id twice is penalised once: %f", a[14]);
        CHECK_NEAR(a[12], -1.5f, "a prompt id generated again stays at one penalty: %f", a[12]);
        check_zero_except(a, { 12, 13, 14 }, __LINE__);
        llama_sampler_free(smpl);
    }

    // no tag in the prompt: the whole prompt is in scope
    {
        const std::vector<llama_token> untagged = { 1, 7, 8 };
        llama_sampler *                smpl     = iit_sampler_init_rules_desc(desc, p);
        iit_rules_set_prompt(smpl, untagged.data(), untagged.size());
        CHECK(iit_rules_scope_begin(smpl) == 0, "no tag: scope begins at 0");
        const auto a = ADDED(smpl, N_VOCAB);
        CHECK_NEAR(a[1] + a[7] + a[8], -4.5f, "no tag: every prompt id penalised");
        check_zero_except(a, { 1, 7, 8 }, __LINE__);
        llama_sampler_free(smpl);
    }

    // the tag ends the prompt: nothing in scope yet
    {
        const std::vector<llama_token> tail = { 1, 7, 40, 41 };
        llama_sampler *                smpl = iit_sampler_init_rules_desc(desc, p);
        iit_rules_set_prompt(smpl, tail.data(), tail.size());
        CHECK(iit_rules_scope_begin(smpl) == 4, "tag at the end: scope begins at the end");
        check_zero_except(ADDED(smpl, N_VOCAB), {}, __LINE__);
        llama_sampler_free(smpl);
    }

    // response scope: generated tokens only
    {
        auto pr              = p;
        pr.rep_scope         = IIT_RULES_REP_SCOPE_RESPONSE;
        llama_sampler * smpl = iit_sampler_init_rules_desc(desc, pr);
        iit_rules_set_prompt(smpl, prompt.data(), prompt.size());
        CHECK(iit_rules_scope_begin(smpl) == (int32_t) prompt.size(), "response scope begins after the prompt");
        check_zero_except(ADDED(smpl, N_VOCAB), {}, __LINE__);
        accept_n(smpl, 2, 7);
        const auto a = ADDED(smpl, N_VOCAB);
        CHECK_NEAR(a[7], -1.5f, "response scope: a generated id is penalised once: %f", a[7]);
        check_zero_except(a, { 7 }, __LINE__);
        llama_sampler_free(smpl);
    }

    // set_prompt again replaces the scope and forgets generated tokens
    {
        llama_sampler * smpl = iit_sampler_init_rules_desc(desc, p);
        iit_rules_set_prompt(smpl, prompt.data(), prompt.size());
        accept_n(smpl, 1, 30);
        const std::vector<llama_token> other = { 40, 41, 20 };
        iit_rules_set_prompt(smpl, other.data(), other.size());
        const auto a = ADDED(smpl, N_VOCAB);
        CHECK_NEAR(a[20], -1.5f, "new prompt in scope");
        check_zero_except(a, { 20 }, __LINE__);
        llama_sampler_free(smpl);
    }
}

static void test_fixed() {
    const auto       desc = synthetic_desc();
    iit_rules_params p;
    p.fixed_enabled = true;
    p.fixed         = { { 5, -4.0f }, { 6, 1.0f }, { 5, -2.0f }, { 20, 1.0f } };

    {
        llama_sampler * smpl = iit_sampler_init_rules_desc(desc, p);
        iit_rules_set_prompt(smpl, nullptr, 0);
        auto a = ADDED(smpl, N_VOCAB);
        CHECK_NEAR(a[5], -2.0f, "a repeated fixed id is assigned its last score, not the sum: %f", a[5]);
        CHECK_NEAR(a[6], 1.0f, "fixed +1");
        CHECK_NEAR(a[20], 1.0f, "fixed +1");
        check_zero_except(a, { 5, 6, 20 }, __LINE__);
        accept_n(smpl, 50, 20); // no repetition rule: fixed scores do not change with n
        a = ADDED(smpl, N_VOCAB);
        CHECK_NEAR(a[20], 1.0f, "fixed scores are the same at every step");
        llama_sampler_free(smpl);
    }

    // the repetition penalty adds on top of a fixed score (the code: newline +1 - 1.5 = -0.5)
    {
        auto pr              = p;
        pr.rep_enabled       = true;
        pr.rep_scope         = IIT_RULES_REP_SCOPE_RESPONSE;
        llama_sampler * smpl = iit_sampler_init_rules_desc(desc, pr);
        iit_rules_set_prompt(smpl, nullptr, 0);
        accept_n(smpl, 3, 20);
        const auto a = ADDED(smpl, N_VOCAB);
        CHECK_NEAR(a[20], -0.5f, "fixed +1 then repetition -1.5: %f", a[20]);
        llama_sampler_free(smpl);
    }
}

static void test_start() {
    const auto       desc = synthetic_desc();
    iit_rules_params p;
    p.start_enabled      = true;
    llama_sampler * smpl = iit_sampler_init_rules_desc(desc, p);
    iit_rules_set_prompt(smpl, nullptr, 0);

    auto a  = ADDED(smpl, N_VOCAB);
    bool ok = true;
    for (int32_t id = 0; id < N_VOCAB; ++id) {
        ok = ok && std::fabs(a[id] - 5.0f * desc.start_scores[id]) < 1e-5;
    }
    CHECK(ok, "1st position: 5 x score_string over the whole vocabulary");

    accept_n(smpl, 1);
    a = ADDED(smpl, N_VOCAB);
    CHECK_NEAR(a[BANG], 15.0f, "2nd position: \"!\" +15");
    check_zero_except(a, { BANG }, __LINE__);

    accept_n(smpl, 1);
    a = ADDED(smpl, N_VOCAB);
    CHECK_NEAR(a[NEWLINE], -10.0f, "3rd position: newline -10");
    check_zero_except(a, { NEWLINE }, __LINE__);

    accept_n(smpl, 1);
    check_zero_except(ADDED(smpl, N_VOCAB), {}, __LINE__);
    llama_sampler_free(smpl);
}

static iit_rules_params all_rules() {
    iit_rules_params p;
    p.eos_enabled   = true;
    p.rep_enabled   = true;
    p.user_tag      = { 40, 41 };
    p.fixed_enabled = true;
    p.fixed         = { { 3, -4.0f }, { NEWLINE, 1.0f }, { BANG, 1.0f }, { EOS, 2.0f } };
    p.start_enabled = true;
    return p;
}

static void test_combination() {
    const auto                     desc   = synthetic_desc();
    const std::vector<llama_token> prompt = { 1, 40, 41, 3, 9, EOS };
    llama_sampler *                smpl   = iit_sampler_init_rules_desc(desc, all_rules());
    iit_rules_set_prompt(smpl, prompt.data(), prompt.size());

    // 1st position: start scores everywhere + fixed + repetition; EOS ramp 0
    auto a = ADDED(smpl, N_VOCAB);
    CHECK_NEAR(a[3], -4.0f - 1.5f + 5.0f * desc.start_scores[3], "fixed + repetition + start at id 3: %f", a[3]);
    CHECK_NEAR(a[EOS], 2.0f - 1.5f + 5.0f * desc.start_scores[EOS], "fixed + repetition + start at EOS: %f", a[EOS]);
    CHECK_NEAR(a[20], 5.0f * desc.start_scores[20], "start only at id 20");

    // 2nd position: "!" fixed +1 and start +15; EOS ramp 0.06 on top of its fixed and repetition scores
    llama_sampler_accept(smpl, BANG);
    a = ADDED(smpl, N_VOCAB);
    CHECK_NEAR(a[BANG], 1.0f - 1.5f + 15.0f, "\"!\" at the 2nd position: %f", a[BANG]);
    CHECK_NEAR(a[EOS], 2.0f - 1.5f + 0.06f, "EOS at n = 1: %f", a[EOS]);
    CHECK_NEAR(a[9], -1.5f, "repetition of a prompt id");
    check_zero_except(a, { 3, 9, EOS, BANG, NEWLINE }, __LINE__);

    // 3rd position: the start rule's newline -10 on top of its fixed +1
    llama_sampler_accept(smpl, 22);
    a = ADDED(smpl, N_VOCAB);
    CHECK_NEAR(a[NEWLINE], 1.0f - 10.0f, "newline at the 3rd position: %f", a[NEWLINE]);
    CHECK_NEAR(a[EOS], 2.0f - 1.5f + 0.12f, "EOS at n = 2");
    CHECK_NEAR(a[22], -1.5f, "generated id penalised");
    llama_sampler_free(smpl);
}

static void test_reset_clone() {
    const auto                     desc   = synthetic_desc();
    const std::vector<llama_token> prompt = { 1, 40, 41, 3, 9 };
    llama_sampler *                smpl   = iit_sampler_init_rules_desc(desc, all_rules());
    iit_rules_set_prompt(smpl, prompt.data(), prompt.size());
    const auto fresh = ADDED(smpl, N_VOCAB);

    for (llama_token t = 20; t < 30; ++t) {
        llama_sampler_accept(smpl, t);
    }
    const auto before = ADDED(smpl, N_VOCAB);

    // clone: same config and state ...
    llama_sampler * copy = llama_sampler_clone(smpl);
    CHECK(copy != nullptr && std::string(llama_sampler_name(copy)) == "iit-rules", "clone is a rules sampler");
    CHECK(ADDED(copy, N_VOCAB) == before, "clone keeps the prompt, the count and the repetition set");
    CHECK(iit_rules_scope_begin(copy) == 3, "clone keeps the scope");

    // ... and then evolves on its own
    accept_n(copy, 50, 33);
    const auto a = ADDED(copy, N_VOCAB);
    CHECK_NEAR(a[33], -1.5f, "clone penalises its own tokens");
    CHECK_NEAR(a[EOS], 2.0f + 0.06f * 60, "clone counts its own tokens");
    CHECK(ADDED(smpl, N_VOCAB) == before, "the original is unaffected by the clone");
    llama_sampler_free(copy);

    // reset: back to the state right after set_prompt (prompt kept)
    llama_sampler_reset(smpl);
    CHECK(ADDED(smpl, N_VOCAB) == fresh, "reset returns to the state right after set_prompt");
    llama_sampler_free(smpl);
}

static void test_all_off() {
    const auto       desc = synthetic_desc();
    iit_rules_params p;          // every rule off by default
    p.fixed_enabled      = true; // ... and an empty fixed list is off too
    llama_sampler * smpl = iit_sampler_init_rules_desc(desc, p);
    CHECK(smpl != nullptr, "all-off config gives a sampler");
    CHECK(std::string(llama_sampler_name(smpl)) == "?iit-rules", "all-off sampler is the no-op \"?iit-rules\", got %s",
          llama_sampler_name(smpl));

    std::vector<llama_token_data> cur;
    for (llama_token id = 0; id < N_VOCAB; ++id) {
        cur.push_back({ id, (float) id, 0.25f });
    }
    const std::vector<llama_token_data> orig   = cur;
    llama_token_data_array              cur_p  = { cur.data(), cur.size(), 7, true };
    const std::vector<llama_token>      prompt = { 1, 2, 3 };
    iit_rules_set_prompt(smpl, prompt.data(), prompt.size()); // no-op, must not crash
    llama_sampler_accept(smpl, 4);
    llama_sampler_apply(smpl, &cur_p);
    bool same = cur_p.size == orig.size() && cur_p.sorted && cur_p.selected == 7;
    for (size_t i = 0; i < orig.size(); ++i) {
        same = same && cur[i].id == orig[i].id && cur[i].logit == orig[i].logit && cur[i].p == orig[i].p;
    }
    CHECK(same, "all-off sampler changes nothing");
    CHECK(iit_rules_scope_begin(smpl) == -1, "the no-op is not a rules sampler");

    llama_sampler * copy = llama_sampler_clone(smpl);
    CHECK(copy != nullptr && std::string(llama_sampler_name(copy)) == "?iit-rules", "the no-op clones");
    llama_sampler_reset(copy);
    llama_sampler_free(copy);
    llama_sampler_free(smpl);
}

static void test_invalid() {
    const auto desc = synthetic_desc();
    {
        iit_rules_params p;
        p.fixed_enabled = true;
        p.fixed         = { { N_VOCAB, 1.0f } };
        CHECK(iit_sampler_init_rules_desc(desc, p) == nullptr, "out-of-range fixed id is rejected");
        CHECK(iit_rules_params_check_desc(desc, p).find("outside the vocabulary") != std::string::npos,
              "message names the problem: %s", iit_rules_params_check_desc(desc, p).c_str());
    }
    {
        iit_rules_params p;
        p.eos_enabled = true;
        p.eos_end     = 0;
        CHECK(iit_sampler_init_rules_desc(desc, p) == nullptr, "empty EOS range is rejected");
    }
    {
        auto d = desc;
        d.eos_ids.clear();
        iit_rules_params p;
        p.eos_enabled = true;
        CHECK(iit_sampler_init_rules_desc(d, p) == nullptr, "EOS rule without an EOS token is rejected");
    }
    {
        auto d       = desc;
        d.start_bang = LLAMA_TOKEN_NULL;
        iit_rules_params p;
        p.start_enabled = true;
        CHECK(iit_sampler_init_rules_desc(d, p) == nullptr, "start rule without \"!\" is rejected");
        CHECK(iit_rules_params_check_desc(d, p).find("\"!\"") != std::string::npos, "message names \"!\"");
    }
    {
        iit_rules_params p;
        p.rep_enabled = true;
        p.rep_score   = NAN;
        CHECK(iit_sampler_init_rules_desc(desc, p) == nullptr, "NaN score is rejected");
    }
    CHECK(iit_rules_params_check_desc(desc, all_rules()).empty(), "the full config is valid");
}

static double logsumexp(const std::vector<float> & x) {
    double m = -INFINITY;
    for (float v : x) {
        m = std::max(m, (double) v);
    }
    double s = 0.0;
    for (float v : x) {
        s += std::exp((double) v - m);
    }
    return m + std::log(s);
}

// normalize: the added term is exactly log_softmax(r), i.e. r minus one constant
static void test_normalize() {
    const auto                     desc   = synthetic_desc();
    const std::vector<llama_token> prompt = { 1, 40, 41, 3, 9 };
    auto                           pr     = all_rules();
    pr.eos_hard_after                     = 3; // a large score too (from n = 4)
    auto pn                               = pr;
    pn.normalize                          = true;
    llama_sampler * raw                   = iit_sampler_init_rules_desc(desc, pr);
    llama_sampler * norm                  = iit_sampler_init_rules_desc(desc, pn);
    iit_rules_set_prompt(raw, prompt.data(), prompt.size());
    iit_rules_set_prompt(norm, prompt.data(), prompt.size());

    for (int32_t step = 0; step < 6; ++step) { // 0 = dense start scores, then sparse, then hard stop
        const auto r = ADDED(raw, N_VOCAB);
        const auto l = ADDED(norm, N_VOCAB);
        CHECK(std::fabs(logsumexp(l)) < 1e-4, "step %d: exp(added) sums to 1 (logsumexp %g)", step, logsumexp(l));
        const double c        = r[0] - l[0];
        bool         constant = true;
        for (int32_t id = 0; id < N_VOCAB; ++id) {
            constant = constant && std::fabs((r[id] - l[id]) - c) < 1e-4;
        }
        CHECK(constant, "step %d: log_softmax(r) = r - constant", step);
        CHECK(std::fabs(c - logsumexp(r)) < 1e-4, "step %d: the constant is logsumexp(r)", step);
        llama_sampler_accept(raw, 20 + step);
        llama_sampler_accept(norm, 20 + step);
    }
    llama_sampler_free(raw);
    llama_sampler_free(norm);
}

// inside a chain with greedy: the rules decide, and the chain forwards accept and set_prompt
static void test_chain() {
    const auto       desc = synthetic_desc();
    iit_rules_params p;
    p.eos_enabled = true;
    p.rep_enabled = true;
    p.user_tag    = { 40, 41 };

    llama_sampler * chain = llama_sampler_chain_init(llama_sampler_chain_default_params());
    llama_sampler_chain_add(chain, iit_sampler_init_rules_desc(desc, p));
    llama_sampler_chain_add(chain, llama_sampler_init_greedy());
    const std::vector<llama_token> prompt = { 1, 40, 41, 8 };
    iit_rules_set_prompt(chain, prompt.data(), prompt.size());
    CHECK(iit_rules_scope_begin(chain) == 3, "set_prompt reaches the rules sampler inside a chain");

    auto pick = [&]() {
        std::vector<llama_token_data> cur;
        for (llama_token id = 0; id < N_VOCAB; ++id) {
            cur.push_back({ id, id == 8 ? 1.0f : id == 9 ? 0.5f : id == EOS ? -5.0f : 0.0f, 0.0f });
        }
        llama_token_data_array cur_p = { cur.data(), cur.size(), -1, false };
        llama_sampler_apply(chain, &cur_p);
        return cur_p.data[cur_p.selected].id;
    };
    CHECK(pick() == 9, "8 is in the repetition scope: 1 - 1.5 < 0.5");
    accept_n(chain, 50, 30);
    CHECK(pick() == 9, "EOS at n = 50: -5 + 3 < 0.5");
    accept_n(chain, 50, 30);
    CHECK(pick() == EOS, "EOS at n = 100: -5 + 6 > 0.5 (the chain forwards accept)");
    llama_sampler_free(chain);
}

// a truncated, sorted candidate array (as after top-k) goes through the id-mapping path
static void test_partial_array() {
    const auto       desc = synthetic_desc();
    iit_rules_params p;
    p.fixed_enabled                     = true;
    p.fixed                             = { { 3, -4.0f }, { 50, 1.0f } };
    llama_sampler *               smpl  = iit_sampler_init_rules_desc(desc, p);
    std::vector<llama_token_data> cur   = { { 50, 5.0f, 0.0f }, { 3, 4.0f, 0.0f }, { 7, 3.0f, 0.0f } };
    llama_token_data_array        cur_p = { cur.data(), cur.size(), -1, true };
    llama_sampler_apply(smpl, &cur_p);
    CHECK_NEAR(cur[0].logit, 6.0f, "id 50 at position 0");
    CHECK_NEAR(cur[1].logit, 0.0f, "id 3 at position 1");
    CHECK_NEAR(cur[2].logit, 3.0f, "id 7 unchanged");
    CHECK(!cur_p.sorted, "apply clears sorted");
    llama_sampler_free(smpl);
}

static void test_score_string() {
    struct {
        const char * s;
        float        want;
    } cases[] = {
        { "Okay", 10 },
        { " Okay", 10 },
        { "I", -3 },
        { " I", -3 },
        { "", 0 },
        { " ", 0 },
        { "  ", 0 },
        { " the", 1 },
        { "The", 1 },
        { "\xC3\xA9t\xC3\xA9", 1 /* été */ },
        { " \xD0\x96", 1 /* Ж */ },
        { "\xCE\xA9", 1 /* Ω */ },
        { "\xE4\xB8\xAD", 1 /* 中 */ },
        { "\xE3\x81\x8B", 1 /* か */ },
        { "\xED\x95\x9C", 1 /* 한 */ },
        { ",", -1 },
        { " <", -1 },
        { "<s>", -1 },
        { "|", -1 },
        { " *", -1 },
        { "9", 0 },
        { "\n", 0 },
        { "\xE2", 0 /* partial UTF-8 */ },
        { " Okay!", 1 },
        { "Iz", 1 },
        { "\xD8\xA7", 0 /* Arabic alef: a letter without case */ },
    };
    for (const auto & c : cases) {
        const float got = iit_rules_score_string(c.s);
        CHECK(got == c.want, "score_string(\"%s\") = %g, want %g", c.s, got, c.want);
    }
}

void test_vocabularies(const std::string & dir); // test-vocab.cpp

static void quiet_log(ggml_log_level level, const char * text, void * /*user_data*/) {
    if (level == GGML_LOG_LEVEL_ERROR) {
        fputs(text, stderr);
    }
}

int main(int argc, char ** argv) {
    llama_log_set(quiet_log, nullptr);

    test_eos();
    test_repetition();
    test_fixed();
    test_start();
    test_combination();
    test_reset_clone();
    test_all_off();
    test_invalid();
    test_normalize();
    test_chain();
    test_partial_array();
    test_score_string();

    if (argc > 1) {
        llama_backend_init();
        test_vocabularies(argv[1]);
        llama_backend_free();
    } else {
        printf("skip: vocabulary checks (pass llama.cpp's models directory as the first argument)\n");
    }

    printf("%d checks, %d failed\n", g_checks, g_failed);
    return g_failed == 0 ? 0 : 1;
}
