#include "sampling/chain.h"

#include <cstring>

llama_sampler * iit_chain_init(const iit_sampling_params & p, const std::vector<llama_sampler *> & adapters) {
    auto cparams          = llama_sampler_chain_default_params();
    cparams.no_perf       = true;
    llama_sampler * chain = llama_sampler_chain_init(cparams);
    for (auto * a : adapters) llama_sampler_chain_add(chain, a);
    if (p.temperature <= 0.0f) {
        llama_sampler_chain_add(chain, llama_sampler_init_greedy());
        return chain;
    }
    if (p.top_k > 0) llama_sampler_chain_add(chain, llama_sampler_init_top_k(p.top_k));
    if (p.top_p < 1.0f) llama_sampler_chain_add(chain, llama_sampler_init_top_p(p.top_p, 1));
    if (p.min_p > 0.0f) llama_sampler_chain_add(chain, llama_sampler_init_min_p(p.min_p, 1));
    llama_sampler_chain_add(chain, llama_sampler_init_temp(p.temperature));
    llama_sampler_chain_add(chain, llama_sampler_init_dist(p.seed));
    return chain;
}

bool iit_chain_is_greedy(llama_sampler * chain) {
    return llama_sampler_chain_n(chain) == 1 &&
           std::strcmp(llama_sampler_name(llama_sampler_chain_get(chain, 0)), "greedy") == 0;
}
