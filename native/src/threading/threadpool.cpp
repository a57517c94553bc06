#include "threading/threadpool.h"

#include "ggml-cpu.h"

iit_threadpool::~iit_threadpool() {
    if (pool_) ggml_threadpool_free(pool_);
}

bool iit_threadpool::attach(llama_context * ctx, int32_t n_threads, uint32_t poll) {
    ggml_threadpool_params tpp = ggml_threadpool_params_default(n_threads);
    tpp.poll                   = poll;
    pool_                      = ggml_threadpool_new(&tpp);
    if (!pool_) return false;
    poll_ = poll;
    llama_attach_threadpool(ctx, pool_, pool_);
    return true;
}
