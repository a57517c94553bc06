#include "sampling/experts-sampler.h"

#include <algorithm>
#include <cmath>

namespace {

const char * experts_name(const llama_sampler *) {
    return "iit-experts";
}

void experts_apply(llama_sampler * smpl, llama_token_data_array * cur_p) {
    const auto * e = (const iit_experts *) smpl->ctx;
    for (size_t k = 0; k < e->ctxs.size(); k++) {
        const float * row     = llama_get_logits_ith(e->ctxs[k], e->row);
        const int32_t n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(llama_get_model(e->ctxs[k])));
        const float   mx      = *std::max_element(row, row + n_vocab);
        double        s       = 0.0;
        for (int32_t i = 0; i < n_vocab; i++) s += std::exp((double) (row[i] - mx));
        const float lse = mx + (float) std::log(s);
        const float w   = e->weights[k];
        for (size_t i = 0; i < cur_p->size; i++) cur_p->data[i].logit += w * (row[cur_p->data[i].id] - lse);
    }
    cur_p->sorted = false;
}

llama_sampler * experts_clone(const llama_sampler * smpl) {
    return iit_sampler_init_experts((const iit_experts *) smpl->ctx);
}

llama_sampler_i experts_i = {
    /* .name              = */ experts_name,
    /* .accept            = */ nullptr,
    /* .apply             = */ experts_apply,
    /* .reset             = */ nullptr,
    /* .clone             = */ experts_clone,
    /* .free              = */ nullptr, // ctx is borrowed
    /* .backend_init      = */ nullptr,
    /* .backend_accept    = */ nullptr,
    /* .backend_apply     = */ nullptr,
    /* .backend_set_input = */ nullptr,
    /* .backend_reset     = */ nullptr,
    /* .copy_state        = */ nullptr,
};

} // namespace

llama_sampler * iit_sampler_init_experts(const iit_experts * experts) {
    return llama_sampler_init(&experts_i, (llama_sampler_context_t) experts);
}
