// GGML_OP_MUL_MAT on the CPU backend with an F32 src1 that is not contiguous but has contiguous rows
// (native/patches/0005-mul-mat-strided-src1.diff): training's KQ product, where src1 is the permuted Q view.
// Each product must give exactly the bits of the same product on ggml_cont(src1), which goes through
// tinyBLAS: without the patch, the strided one runs as one vec_dot per cell, another summation order.
// Also checked against a double reference, with 1 and 2 threads, on shapes tinyBLAS declines (odd
// row lengths) and on a broadcast src0 (GQA).
// Prints "N checks, F failed"; exits non-zero on a failure.
#include "ggml-cpu.h"
#include "ggml.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>

namespace {

int n_checks = 0;
int n_failed = 0;

struct shape {
    int64_t d, n_q, n_kv, heads, kv_heads; // head dimension, query and key positions, query and key heads
};

void check(const shape & s, int n_threads, uint32_t seed) {
    ggml_init_params ip  = { /*.mem_size =*/(size_t) 128 << 20, /*.mem_buffer =*/nullptr, /*.no_alloc =*/false };
    ggml_context *   ctx = ggml_init(ip);
    // K as the KV cache holds it ([d, n_kv, kv_heads], contiguous); Q as projected ([d, heads, n_q]),
    // then permuted to [d, n_q, heads] as llama.cpp's attention does: rows contiguous, the tensor not.
    ggml_tensor *                         k = ggml_new_tensor_3d(ctx, GGML_TYPE_F32, s.d, s.n_kv, s.kv_heads);
    ggml_tensor *                         q = ggml_new_tensor_3d(ctx, GGML_TYPE_F32, s.d, s.heads, s.n_q);
    std::mt19937                          rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (int64_t i = 0; i < ggml_nelements(k); i++) ((float *) k->data)[i] = u(rng);
    for (int64_t i = 0; i < ggml_nelements(q); i++) ((float *) q->data)[i] = u(rng);
    ggml_tensor * qp      = ggml_permute(ctx, q, 0, 2, 1, 3);
    ggml_tensor * strided = ggml_mul_mat(ctx, k, qp);
    ggml_tensor * cont    = ggml_mul_mat(ctx, k, ggml_cont(ctx, qp));
    ggml_cgraph * gf      = ggml_new_graph(ctx);
    ggml_build_forward_expand(gf, strided);
    ggml_build_forward_expand(gf, cont);
    ggml_graph_compute_with_ctx(ctx, gf, n_threads);

    int64_t differ = 0;
    double  worst  = 0.0;
    for (int64_t h = 0; h < s.heads; h++)
        for (int64_t iq = 0; iq < s.n_q; iq++)
            for (int64_t ik = 0; ik < s.n_kv; ik++) {
                const float a = *(const float *) ((const char *) strided->data + ik * strided->nb[0] +
                                                  iq * strided->nb[1] + h * strided->nb[2]);
                const float b = *(const float *) ((const char *) cont->data + ik * cont->nb[0] + iq * cont->nb[1] +
                                                  h * cont->nb[2]);
                if (std::memcmp(&a, &b, sizeof a) != 0) differ++;
                double        ref = 0.0, mag = 0.0;
                const int64_t hk = h / (s.heads / s.kv_heads);
                for (int64_t i = 0; i < s.d; i++) {
                    const double p = (double) ((const float *) k->data)[(hk * s.n_kv + ik) * s.d + i] *
                                     ((const float *) q->data)[(iq * s.heads + h) * s.d + i];
                    ref += p;
                    mag += std::fabs(p);
                }
                worst = std::max(worst, std::fabs(a - ref) / (mag * (double) s.d * 1.2e-7 + 1e-30));
            }
    n_checks++;
    const bool ok = differ == 0 && worst <= 1.0;
    if (!ok) n_failed++;
    std::printf("%s d=%lld n_q=%lld n_kv=%lld heads=%lld kv_heads=%lld threads=%d: %lld of %lld cells differ from "
                "the contiguous product; worst error %.3f of the bound\n",
                ok ? "ok  " : "FAIL", (long long) s.d, (long long) s.n_q, (long long) s.n_kv, (long long) s.heads,
                (long long) s.kv_heads, n_threads, (long long) differ, (long long) (s.heads * s.n_q * s.n_kv), worst);
    ggml_free(ctx);
}

} // namespace

int main() {
    const shape shapes[] = {
        { 32, 256, 256, 4, 4 }, // the lab's base: KQ of a 256-token training window
        { 8, 256, 256, 8, 8 },  // stories260K, head dimension 8
        { 64, 48, 80, 8, 2 },   // broadcast K heads (GQA)
        { 13, 17, 9, 3, 3 },    // a row length tinyBLAS declines: both take the vec_dot path
    };
    uint32_t seed = 1;
    for (const auto & s : shapes) {
        for (int threads : { 1, 2 }) check(s, threads, seed++);
    }
    std::printf("%d checks, %d failed\n", n_checks, n_failed);
    return n_failed == 0 ? 0 : 1;
}
