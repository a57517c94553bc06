#include "generation/embedder.h"

#include <algorithm>
#include <cmath>

llama_context_params iit_embed_context_params(uint32_t n_ctx, int32_t n_threads) {
    llama_context_params p = llama_context_default_params();
    p.n_ctx                = n_ctx;
    p.n_batch              = n_ctx;
    p.n_ubatch             = n_ctx;
    p.n_seq_max            = 1;
    p.n_threads            = n_threads;
    p.n_threads_batch      = n_threads;
    p.embeddings           = true;
    p.pooling_type         = LLAMA_POOLING_TYPE_MEAN;
    p.no_perf              = true;
    return p;
}

std::string iit_embed(llama_context * ctx, const std::vector<std::vector<llama_token>> & seqs,
                      const std::function<bool()> & should_abort, std::vector<std::vector<float>> & out) {
    const int32_t  n_embd = llama_model_n_embd(llama_get_model(ctx));
    const int32_t  n_max  = (int32_t) std::min(llama_n_ctx(ctx), llama_n_ubatch(ctx));
    llama_memory_t mem    = llama_get_memory(ctx);
    llama_batch    batch  = llama_batch_init(n_max, 0, 1);
    out.assign(seqs.size(), std::vector<float>(n_embd, 0.0f));
    std::string err;
    for (size_t s = 0; s < seqs.size(); s++) {
        if (should_abort && should_abort()) {
            err = "aborted";
            break;
        }
        const int32_t n = std::min((int32_t) seqs[s].size(), n_max);
        if (n == 0) continue; // an empty text embeds to the zero vector
        if (mem) llama_memory_clear(mem, true);
        batch.n_tokens = n;
        for (int32_t i = 0; i < n; i++) {
            batch.token[i]     = seqs[s][i];
            batch.pos[i]       = i;
            batch.n_seq_id[i]  = 1;
            batch.seq_id[i][0] = 0;
            batch.logits[i]    = 1; // every token's output feeds the pooled embedding
        }
        if (int32_t rc = llama_decode(ctx, batch); rc != 0) {
            err = "llama_decode failed with code " + std::to_string(rc);
            break;
        }
        const float * e = llama_get_embeddings_seq(ctx, 0);
        if (!e) {
            err = "llama_get_embeddings_seq returned no pooled embedding";
            break;
        }
        double norm = 0.0;
        for (int32_t k = 0; k < n_embd; k++) norm += (double) e[k] * e[k];
        norm     = std::sqrt(norm);
        auto & v = out[s];
        for (int32_t k = 0; k < n_embd; k++) v[k] = norm > 0 ? (float) (e[k] / norm) : 0.0f;
    }
    if (mem) llama_memory_clear(mem, true);
    llama_batch_free(batch);
    return err;
}
