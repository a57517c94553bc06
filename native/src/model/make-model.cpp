#include "model/make-model.h"
#include "model/gguf-write.h"

#include "ggml.h"
#include "gguf.h"
#include "llama.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

std::string iit_make_model(const iit_make_model_params & p, uint64_t & n_params) {
    if (p.n_embd % p.n_head != 0) return "n_embd must be a multiple of n_head";
    if (p.n_head % p.n_head_kv != 0) return "n_head must be a multiple of n_head_kv";
    if ((p.n_embd / p.n_head) % 2 != 0) return "the head size (n_embd / n_head) must be even for RoPE";

    ggml_context *   vmeta = nullptr;
    gguf_init_params vp    = { /*.no_alloc =*/true, /*.ctx =*/&vmeta };
    gguf_context *   vocab = gguf_init_from_file(p.vocab_path.c_str(), vp);
    if (!vocab) return "cannot read the vocabulary GGUF " + p.vocab_path;
    int64_t tok_key = gguf_find_key(vocab, "tokenizer.ggml.tokens");
    if (tok_key < 0) {
        gguf_free(vocab);
        ggml_free(vmeta);
        return p.vocab_path + " has no tokenizer.ggml.tokens: not a vocabulary GGUF";
    }
    const int64_t n_vocab = (int64_t) gguf_get_arr_n(vocab, tok_key);

    gguf_context * out = gguf_init_empty();
    gguf_set_kv(out, vocab); // then keep only the tokenizer: the rest describes another model
    for (int64_t i = gguf_get_n_kv(out) - 1; i >= 0; i--) {
        std::string key = gguf_get_key(out, i);
        if (key.rfind("tokenizer.", 0) != 0) gguf_remove_key(out, key.c_str());
    }
    const int32_t head_dim = p.n_embd / p.n_head;
    gguf_set_val_str(out, "general.architecture", "llama");
    gguf_set_val_str(out, "general.name", p.name.c_str());
    gguf_set_val_u32(out, "general.file_type", 0); // all F32
    gguf_set_val_u32(out, "llama.context_length", p.n_ctx);
    gguf_set_val_u32(out, "llama.embedding_length", p.n_embd);
    gguf_set_val_u32(out, "llama.block_count", p.n_layer);
    gguf_set_val_u32(out, "llama.feed_forward_length", p.n_ff);
    gguf_set_val_u32(out, "llama.attention.head_count", p.n_head);
    gguf_set_val_u32(out, "llama.attention.head_count_kv", p.n_head_kv);
    gguf_set_val_u32(out, "llama.rope.dimension_count", head_dim);
    gguf_set_val_f32(out, "llama.rope.freq_base", 10000.0f);
    gguf_set_val_f32(out, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    gguf_set_val_u32(out, "llama.vocab_size", (uint32_t) n_vocab);

    struct spec {
        std::string name;
        int64_t     ne0, ne1;
        bool        norm;
    };
    std::vector<spec> specs = {
        { "token_embd.weight", p.n_embd, n_vocab, false },
        { "output_norm.weight", p.n_embd, 1, true },
        { "output.weight", p.n_embd, n_vocab, false },
    };
    const int64_t n_embd_kv = (int64_t) head_dim * p.n_head_kv;
    for (int32_t l = 0; l < p.n_layer; l++) {
        std::string b = "blk." + std::to_string(l) + ".";
        specs.push_back({ b + "attn_norm.weight", p.n_embd, 1, true });
        specs.push_back({ b + "attn_q.weight", p.n_embd, p.n_embd, false });
        specs.push_back({ b + "attn_k.weight", p.n_embd, n_embd_kv, false });
        specs.push_back({ b + "attn_v.weight", p.n_embd, n_embd_kv, false });
        specs.push_back({ b + "attn_output.weight", p.n_embd, p.n_embd, false });
        specs.push_back({ b + "ffn_norm.weight", p.n_embd, 1, true });
        specs.push_back({ b + "ffn_gate.weight", p.n_embd, p.n_ff, false });
        specs.push_back({ b + "ffn_up.weight", p.n_embd, p.n_ff, false });
        specs.push_back({ b + "ffn_down.weight", p.n_ff, p.n_embd, false });
    }
    size_t bytes = 0;
    for (auto & s : specs) bytes += ggml_row_size(GGML_TYPE_F32, s.ne0) * s.ne1 + ggml_tensor_overhead();
    // Our own buffer: ggml_init aborts when it cannot allocate one (src/model/makeModel.ts sizes the
    // model against free memory first; this is the last line of defence).
    std::unique_ptr<void, decltype(&std::free)> mem(std::malloc(bytes + 1024 * 1024), &std::free);
    if (!mem) {
        gguf_free(out);
        gguf_free(vocab);
        ggml_free(vmeta);
        return "out of memory allocating " + std::to_string(bytes) + " bytes of weights";
    }
    ggml_init_params                ip   = { bytes + 1024 * 1024, mem.get(), false };
    ggml_context *                  data = ggml_init(ip);
    std::mt19937                    rng(p.seed);
    std::normal_distribution<float> normal(0.0f, p.init_std);
    n_params = 0;
    for (auto & s : specs) {
        ggml_tensor * t = s.ne1 == 1 ? ggml_new_tensor_1d(data, GGML_TYPE_F32, s.ne0)
                                     : ggml_new_tensor_2d(data, GGML_TYPE_F32, s.ne0, s.ne1);
        ggml_set_name(t, s.name.c_str());
        float *       w = (float *) t->data;
        const int64_t n = ggml_nelements(t);
        for (int64_t i = 0; i < n; i++) w[i] = s.norm ? 1.0f : normal(rng);
        n_params += n;
        gguf_add_tensor(out, t);
    }
    const bool        f32      = p.type == "f32";
    const std::string f32_path = f32 ? p.out_path : p.out_path + ".f32.tmp";
    std::string       err =
        iit_write_gguf_checked(f32_path, [&] { return gguf_write_to_file(out, f32_path.c_str(), false); });
    ggml_free(data);
    gguf_free(out);
    gguf_free(vocab);
    ggml_free(vmeta);
    if (!err.empty()) {
        if (!f32) std::remove(f32_path.c_str());
        return err;
    }
    if (f32) return "";
    // Other weight types through llama.cpp's own quantizer (1-d norms stay F32).
    llama_model_quantize_params qp = llama_model_quantize_default_params();
    qp.nthread                     = 1;
    qp.ftype                       = p.type == "f16" ? LLAMA_FTYPE_MOSTLY_F16 : LLAMA_FTYPE_MOSTLY_Q8_0;
    bool converted                 = true;
    err                            = iit_write_gguf_checked(
                                   p.out_path, [&] { return converted = llama_model_quantize(f32_path.c_str(), p.out_path.c_str(), &qp) == 0; });
    std::remove(f32_path.c_str());
    return converted || err.rfind(IIT_DISK_FULL, 0) == 0 ? err : "could not convert the model to " + p.type;
}
