// Shared by the C++ tests: a CHECK that counts instead of aborting, and what a sampler adds to logits.
#pragma once

#include "llama.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <vector>

inline int g_checks = 0;
inline int g_failed = 0;

inline void check_impl(bool ok, const char * file, int line, const char * fmt, ...) {
    g_checks++;
    if (ok) {
        return;
    }
    g_failed++;
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_list args;
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fprintf(stderr, "\n");
}

#define CHECK(cond, ...)      check_impl((cond), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_NEAR(a, b, ...) check_impl(std::fabs((double) (a) - (double) (b)) < 1e-4, __FILE__, __LINE__, __VA_ARGS__)

// what a sampler adds to each id, on an unsorted full-vocabulary array with data[i].id == i
// (the direct path) and on a reversed array (the id-mapping path); both must agree
inline std::vector<float> added(llama_sampler * smpl, int32_t n_vocab, bool reversed = false) {
    std::vector<llama_token_data> cur;
    for (llama_token id = 0; id < n_vocab; ++id) {
        const llama_token tid = reversed ? n_vocab - 1 - id : id;
        cur.push_back({ tid, 0.5f * (float) tid, 0.0f });
    }
    llama_token_data_array cur_p = { cur.data(), cur.size(), -1, true };
    llama_sampler_apply(smpl, &cur_p);

    std::vector<float> out(n_vocab, 0.0f);
    for (const llama_token_data & td : cur) {
        out[td.id] = td.logit - 0.5f * (float) td.id;
    }
    return out;
}

inline std::vector<float> added_checked(llama_sampler * smpl, int32_t n_vocab, int line) {
    const std::vector<float> a = added(smpl, n_vocab, false);
    const std::vector<float> b = added(smpl, n_vocab, true);
    for (int32_t id = 0; id < n_vocab; ++id) {
        check_impl(std::fabs(a[id] - b[id]) < 1e-5, __FILE__, line, "direct and mapped paths differ at id %d: %f vs %f",
                   id, a[id], b[id]);
    }
    return a;
}

#define ADDED(smpl, n_vocab) added_checked((smpl), (n_vocab), __LINE__)

// every id not in `except` got nothing
inline void check_zero_except(const std::vector<float> & a, const std::vector<llama_token> & except, int line) {
    for (llama_token id = 0; id < (llama_token) a.size(); ++id) {
        bool skip = false;
        for (llama_token e : except) {
            skip = skip || e == id;
        }
        if (!skip) {
            check_impl(a[id] == 0.0f, __FILE__, line, "id %d should be unchanged, got %+f", id, a[id]);
        }
    }
}

inline void accept_n(llama_sampler * smpl, int32_t n, llama_token tok = 5) {
    for (int32_t i = 0; i < n; ++i) {
        llama_sampler_accept(smpl, tok);
    }
}
