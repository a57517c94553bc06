// Token text resolution and the rule adapter on real vocabularies (Llama-2 SentencePiece, Llama-3 BPE):
// the paper's 15 token texts must resolve to the ids its code uses. Part of test-rules-sampler.

#include "sampling/rules-sampler.h"
#include "sampling/token-resolve.h"
#include "test-helpers.h"

#include <string>
#include <vector>

// vocabulary checks

static llama_model * load_vocab(const std::string & path) {
    FILE * f = fopen(path.c_str(), "rb");
    if (f == nullptr) {
        return nullptr;
    }
    fclose(f);
    llama_model_params mparams = llama_model_default_params();
    mparams.vocab_only         = true;
    return llama_model_load_from_file(path.c_str(), mparams);
}

static std::vector<llama_token> tokenize(const llama_vocab * vocab, const std::string & text, bool add_special) {
    std::vector<llama_token> out(text.size() + 8);
    const int32_t n = llama_tokenize(vocab, text.c_str(), (int32_t) text.size(), out.data(), (int32_t) out.size(),
                                     add_special, false);
    out.resize(n < 0 ? 0 : n);
    return out;
}

static const std::vector<std::string> PAPER_TEXTS = {
    "<", " <", "|", " I", "I", " We", "What", " should", " *", " -", "   ", " #", " ##", "\n", "!",
};

static void test_vocab_spm(const std::string & dir) {
    llama_model * model = load_vocab(dir + "/ggml-vocab-llama-spm.gguf");
    if (model == nullptr) {
        printf("skip: %s/ggml-vocab-llama-spm.gguf not found\n", dir.c_str());
        return;
    }
    const llama_vocab * vocab = llama_model_get_vocab(model);
    CHECK(llama_vocab_n_tokens(vocab) == 32000, "Llama-2 vocabulary has 32000 entries");

    const std::vector<llama_token> want = { 29966, 529, 29989, 306, 29902, 1334, 5618, 881,
                                            334,   448, 1678,  396, 444,   13,   29991 };
    const std::vector<llama_token> got  = iit_token_resolve_many(vocab, PAPER_TEXTS);
    printf("spm:");
    for (size_t i = 0; i < PAPER_TEXTS.size(); ++i) {
        printf(" %d", got[i]);
        CHECK(got[i] == want[i], "SPM: text #%zu resolves to %d, want %d", i, got[i], want[i]);
    }
    printf("\n");
    CHECK(iit_token_resolve(vocab, " Okay") == 20419, "SPM: \" Okay\" -> 20419");
    CHECK(iit_token_resolve(vocab, "") == -1, "empty text does not resolve");
    CHECK(iit_token_resolve(vocab, " Hello world, friends") == -1, "a multi-token text does not resolve");
    CHECK(iit_token_resolve(vocab, "</s>") == -1, "control tokens do not resolve from text");
    CHECK(iit_token_render(vocab, 1678) == "   ", "render 1678");
    CHECK(iit_token_render(vocab, 13) == "\n", "render the byte token 13");

    // the paper's preset on its own vocabulary and template
    const std::string              prompt_text = "<|user|>\nWrite a poem about cats.\n<|assistant|>\n";
    std::vector<llama_token>       prompt      = tokenize(vocab, prompt_text, true);
    const std::vector<llama_token> tag_full    = tokenize(vocab, "\n<|user|>\n", false);
    CHECK(tag_full.size() >= 5, "user tag tokenizes");
    iit_rules_params p;
    p.eos_enabled = true;
    p.eos_ids     = { llama_vocab_eos(vocab) };
    p.rep_enabled = true;
    p.user_tag.assign(tag_full.end() - 5, tag_full.end()); // the code keeps the last 5 ids
    p.fixed_enabled      = true;
    const float scores[] = { -4, -4, -4, -5, -5, -3, -5, -6, 1, 1, 1, 1, 1, 1, 1 };
    for (size_t i = 0; i < PAPER_TEXTS.size(); ++i) {
        p.fixed.push_back({ got[i], scores[i] });
    }
    CHECK(iit_rules_params_check(vocab, p).empty(), "paper preset valid: %s", iit_rules_params_check(vocab, p).c_str());
    llama_sampler * smpl = iit_sampler_init_rules(vocab, p);
    CHECK(smpl != nullptr, "paper preset sampler");
    iit_rules_set_prompt(smpl, prompt.data(), prompt.size());
    const int32_t begin = iit_rules_scope_begin(smpl);
    CHECK(begin > 1 && begin < (int32_t) prompt.size(), "the user tag is found in the Tulu prompt (begin %d of %zu)",
          begin, prompt.size());
    // BOS, '▁<' and the tag's tail '| user | > \n' come first; the scope starts right after them.
    CHECK(prompt.size() > 7 && prompt[0] == 1 && prompt[1] == 529 && prompt[3] == 1792,
          "Tulu prompt starts <s> '▁<' '|' 'user'");
    CHECK(begin == 7, "the scope begins after BOS, '▁<' and the 5-token tag tail, got %d", begin);
    auto a = ADDED(smpl, 32000);
    CHECK_NEAR(a[1], 0.0f, "BOS is outside the repetition scope");
    CHECK_NEAR(a[529], -4.0f, "'▁<' -4 only: outside the repetition scope");
    CHECK_NEAR(a[1792], 0.0f, "'user' is outside the repetition scope");
    CHECK_NEAR(a[29989], -5.5f, "'|' -4 - 1.5 (in <|assistant|>)");
    CHECK_NEAR(a[13], -0.5f, "newline +1 - 1.5");
    CHECK_NEAR(a[881], -6.0f, "' should' -6");
    CHECK_NEAR(a[2], 0.0f, "EOS 0 at the first token");
    accept_n(smpl, 100, 29871);
    a = ADDED(smpl, 32000);
    CHECK_NEAR(a[2], 6.0f, "EOS (id 2) +6 at n = 100");
    llama_sampler_free(smpl);

    // the start rule on the real vocabulary
    iit_rules_params ps;
    ps.start_enabled = true;
    smpl             = iit_sampler_init_rules(vocab, ps);
    CHECK(smpl != nullptr, "start rule sampler");
    iit_rules_set_prompt(smpl, nullptr, 0);
    a = ADDED(smpl, 32000);
    CHECK_NEAR(a[20419], 50.0f, "' Okay' +50");
    CHECK_NEAR(a[306], -15.0f, "' I' -15");
    CHECK_NEAR(a[29902], -15.0f, "'I' -15");
    CHECK_NEAR(a[278], 5.0f, "' the' +5");
    CHECK_NEAR(a[29892], -5.0f, "',' -5");
    CHECK_NEAR(a[13], -5.0f, "byte token <0x0A> -5 (its raw piece starts with '<')");
    CHECK_NEAR(a[1], -5.0f, "<s> -5");
    CHECK_NEAR(a[29871], 0.0f, "bare '▁' 0");
    accept_n(smpl, 1);
    a = ADDED(smpl, 32000);
    CHECK_NEAR(a[29991], 15.0f, "'!' +15 at the 2nd position");
    accept_n(smpl, 1);
    a = ADDED(smpl, 32000);
    CHECK_NEAR(a[13], -10.0f, "newline -10 at the 3rd position");
    llama_sampler_free(smpl);

    llama_model_free(model);
}

static void test_vocab_bpe(const std::string & dir) {
    llama_model * model = load_vocab(dir + "/ggml-vocab-llama-bpe.gguf");
    if (model == nullptr) {
        printf("skip: %s/ggml-vocab-llama-bpe.gguf not found\n", dir.c_str());
        return;
    }
    const llama_vocab * vocab = llama_model_get_vocab(model);

    // ids read from the GGUF's token list (GPT-2 byte decoding) independently of llama.cpp
    const std::vector<llama_token> want = { 27, 366, 91, 358, 40, 1226, 3923, 1288, 353, 482, 262, 674, 7860, 198, 0 };
    const std::vector<llama_token> got  = iit_token_resolve_many(vocab, PAPER_TEXTS);
    printf("bpe:");
    for (size_t i = 0; i < PAPER_TEXTS.size(); ++i) {
        printf(" %d", got[i]);
        CHECK(got[i] >= 0 && iit_token_render(vocab, got[i]) == PAPER_TEXTS[i],
              "BPE: text #%zu resolves to %d, which renders back", i, got[i]);
        CHECK(got[i] == want[i], "BPE: text #%zu resolves to %d, want %d", i, got[i], want[i]);
    }
    printf("\n");

    iit_rules_params p;
    p.eos_enabled   = true;
    p.eos_ids       = { llama_vocab_eos(vocab) };
    p.start_enabled = true;
    std::string err = iit_rules_params_check(vocab, p);
    CHECK(err.empty(), "start + EOS valid on BPE: %s", err.c_str());
    llama_sampler * smpl    = iit_sampler_init_rules(vocab, p);
    const int32_t   n_vocab = llama_vocab_n_tokens(vocab);
    iit_rules_set_prompt(smpl, nullptr, 0);
    auto a = ADDED(smpl, n_vocab);
    CHECK_NEAR(a[36539], 50.0f, "BPE ' Okay' +50");
    CHECK_NEAR(a[358], -15.0f, "BPE ' I' -15");
    accept_n(smpl, 100);
    a = ADDED(smpl, n_vocab);
    CHECK_NEAR(a[128001], 6.0f, "BPE EOS <|end_of_text|> +6 at n = 100");
    CHECK_NEAR(a[128009], 0.0f, "BPE <|eot_id|> untouched when only EOS is a target");
    llama_sampler_free(smpl);

    p.start_enabled = false;
    p.eos_ids.clear();
    for (llama_token id = 0; id < n_vocab; ++id) {
        if (llama_vocab_is_eog(vocab, id)) {
            p.eos_ids.push_back(id);
        }
    }
    smpl = iit_sampler_init_rules(vocab, p);
    accept_n(smpl, 100);
    a = ADDED(smpl, n_vocab);
    CHECK_NEAR(a[128001], 6.0f, "every EOG a target: <|end_of_text|>");
    CHECK_NEAR(a[128009], 6.0f, "every EOG a target: <|eot_id|>");
    llama_sampler_free(smpl);

    llama_model_free(model);
}

void test_vocabularies(const std::string & dir) {
    test_vocab_spm(dir);
    test_vocab_bpe(dir);
}
