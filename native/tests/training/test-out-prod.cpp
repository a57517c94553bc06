// GGML_OP_OUT_PROD on the CPU backend (the weight and input gradients of every mul_mat in training),
// against a double-precision reference, on the shapes training produces: head dimensions below one SIMD
// vector, widths that leave vector and scalar tails, row counts that leave partial row tiles, broadcast
// heads (GQA), src1 transposed (the input-gradient case), 1 and 2 threads.
// Prints "N checks, F failed"; exits non-zero on a failure.
#include "ggml-cpu.h"
#include "ggml.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

namespace {

int n_checks = 0;
int n_failed = 0;

struct shape {
    int64_t ne0, ne1, nk, ne2, ne3, dps2; // dst [ne0, ne1, ne2, ne3]; products nk; src0 heads ne2/dps2
    bool    transposed;                   // src1 is the transpose of a contiguous [nk, ne1] tensor
};

void check(const shape & s, int n_threads, uint32_t seed) {
    ggml_init_params ip     = { /*.mem_size =*/(size_t) 64 << 20, /*.mem_buffer =*/nullptr, /*.no_alloc =*/false };
    ggml_context *   ctx    = ggml_init(ip);
    ggml_tensor *    a      = ggml_new_tensor_4d(ctx, GGML_TYPE_F32, s.ne0, s.nk, s.ne2 / s.dps2, s.ne3);
    ggml_tensor *    b      = s.transposed
                                  ? ggml_transpose(ctx, ggml_new_tensor_4d(ctx, GGML_TYPE_F32, s.nk, s.ne1, s.ne2, s.ne3))
                                  : ggml_new_tensor_4d(ctx, GGML_TYPE_F32, s.ne1, s.nk, s.ne2, s.ne3);
    ggml_tensor *    base_b = s.transposed ? b->src[0] : b;
    std::mt19937     rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (int64_t i = 0; i < ggml_nelements(a); i++) ((float *) a->data)[i] = u(rng);
    for (int64_t i = 0; i < ggml_nelements(base_b); i++) ((float *) base_b->data)[i] = u(rng);
    ggml_tensor * c  = ggml_out_prod(ctx, a, b);
    ggml_cgraph * gf = ggml_new_graph(ctx);
    ggml_build_forward_expand(gf, c);
    ggml_graph_compute_with_ctx(ctx, gf, n_threads);

    auto at = [](const ggml_tensor * t, int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
        return (double) *(const float *) ((const char *) t->data + i0 * t->nb[0] + i1 * t->nb[1] + i2 * t->nb[2] +
                                          i3 * t->nb[3]);
    };
    double worst = 0.0;
    for (int64_t i3 = 0; i3 < s.ne3; i3++)
        for (int64_t i2 = 0; i2 < s.ne2; i2++)
            for (int64_t i1 = 0; i1 < s.ne1; i1++)
                for (int64_t i0 = 0; i0 < s.ne0; i0++) {
                    double ref = 0.0, mag = 0.0;
                    for (int64_t k = 0; k < s.nk; k++) {
                        const double p = at(a, i0, k, i2 / s.dps2, i3) * at(b, i1, k, i2, i3);
                        ref += p;
                        mag += std::fabs(p);
                    }
                    // float accumulation of nk products: error well below nk * eps * sum|p|
                    const double err = std::fabs(at(c, i0, i1, i2, i3) - ref) / (mag * (double) s.nk * 1.2e-7 + 1e-30);
                    worst            = std::max(worst, err);
                }
    n_checks++;
    const bool ok = worst <= 1.0;
    if (!ok) n_failed++;
    std::printf(
        "%s ne0=%lld ne1=%lld nk=%lld ne2=%lld ne3=%lld dps2=%lld%s threads=%d: worst error %.3f of the bound\n",
        ok ? "ok  " : "FAIL", (long long) s.ne0, (long long) s.ne1, (long long) s.nk, (long long) s.ne2,
        (long long) s.ne3, (long long) s.dps2, s.transposed ? " src1^T" : "", n_threads, worst);
    ggml_free(ctx);
}

} // namespace

int main() {
    const shape shapes[] = {
        { 8, 256, 256, 8, 1, 1, false },                                    // K gradient, head dim 8 (stories260K)
        { 8, 256, 256, 8, 1, 1, true },   { 64, 64, 256, 1, 1, 1, false },  // square weight
        { 64, 172, 256, 1, 1, 1, true },                                    // input gradient through ffn_down
        { 172, 64, 256, 1, 1, 1, false },                                   // ffn width: vector chunks + scalar tail
        { 13, 7, 5, 1, 1, 1, false },                                       // below one vector, partial row tile
        { 40, 9, 33, 4, 2, 2, false },                                      // broadcast src0 heads (GQA), 4-D
        { 40, 9, 33, 4, 2, 2, true },     { 256, 512, 64, 1, 1, 1, false }, // 32k-model shapes (scaled)
        { 1, 1, 1, 1, 1, 1, false },      { 16, 3, 1, 1, 1, 1, true },
    };
    uint32_t seed = 1;
    for (const auto & s : shapes) {
        for (int threads : { 1, 2 }) check(s, threads, seed++);
    }
    std::printf("%d checks, %d failed\n", n_checks, n_failed);
    return n_failed == 0 ? 0 : 1;
}
