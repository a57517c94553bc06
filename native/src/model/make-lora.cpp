#include "model/make-lora.h"
#include "model/gguf-write.h"

#include "ggml.h"
#include "gguf.h"

#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>

std::string iit_make_lora(const iit_make_lora_params & p, uint64_t & n_params) {
    ggml_context *   meta = nullptr;
    gguf_init_params gp   = { /*.no_alloc =*/true, /*.ctx =*/&meta };
    gguf_context *   base = gguf_init_from_file(p.base_path.c_str(), gp);
    if (!base) return "cannot read the base model GGUF " + p.base_path;
    int64_t     k    = gguf_find_key(base, "general.architecture");
    std::string arch = k >= 0 ? gguf_get_val_str(base, k) : "";

    struct pick {
        std::string name;
        int64_t     in, out;
    };
    std::vector<pick> picks;
    for (int64_t i = 0; i < gguf_get_n_tensors(base); i++) {
        std::string name = gguf_get_tensor_name(base, i);
        for (const auto & t : p.targets) {
            const std::string suffix = "." + t + ".weight";
            if (name.rfind("blk.", 0) == 0 && name.size() > suffix.size() &&
                name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
                ggml_tensor * w = ggml_get_tensor(meta, name.c_str());
                picks.push_back({ name.substr(0, name.size() - 7), w->ne[0], w->ne[1] });
            }
        }
    }
    gguf_free(base);
    ggml_free(meta);
    if (picks.empty()) return "no tensor of the base model matches the LoRA targets";

    size_t bytes = 0;
    for (auto & t : picks) bytes += (size_t) (t.in + t.out) * p.rank * sizeof(float) + 2 * ggml_tensor_overhead();
    // Our own buffer: ggml_init aborts when it cannot allocate one (src/model/makeLora.ts checks the
    // rank and the size first; this is the last line of defence).
    std::unique_ptr<void, decltype(&std::free)> mem(std::malloc(bytes + 1024 * 1024), &std::free);
    if (!mem) return "out of memory allocating " + std::to_string(bytes) + " bytes of adapter weights";
    ggml_init_params ip   = { bytes + 1024 * 1024, mem.get(), false };
    ggml_context *   data = ggml_init(ip);
    gguf_context *   out  = gguf_init_empty();
    gguf_set_val_str(out, "general.architecture", arch.c_str());
    gguf_set_val_str(out, "general.type", "adapter");
    gguf_set_val_str(out, "adapter.type", "lora");
    gguf_set_val_f32(out, "adapter.lora.alpha", p.alpha);

    std::mt19937 rng(p.seed);
    n_params = 0;
    for (auto & t : picks) {
        // A: [in, r] with std 1/sqrt(in); B: [r, out].
        ggml_tensor * a = ggml_new_tensor_2d(data, GGML_TYPE_F32, t.in, p.rank);
        ggml_tensor * b = ggml_new_tensor_2d(data, GGML_TYPE_F32, p.rank, t.out);
        ggml_set_name(a, (t.name + ".weight.lora_a").c_str());
        ggml_set_name(b, (t.name + ".weight.lora_b").c_str());
        std::normal_distribution<float> na(0.0f, 1.0f / std::sqrt((float) t.in));
        std::normal_distribution<float> nb(0.0f, p.b_std > 0 ? p.b_std : 1.0f);
        for (int64_t i = 0; i < ggml_nelements(a); i++) ((float *) a->data)[i] = na(rng);
        for (int64_t i = 0; i < ggml_nelements(b); i++) ((float *) b->data)[i] = p.b_std > 0 ? nb(rng) : 0.0f;
        gguf_add_tensor(out, a);
        gguf_add_tensor(out, b);
        n_params += ggml_nelements(a) + ggml_nelements(b);
    }
    std::string err =
        iit_write_gguf_checked(p.out_path, [&] { return gguf_write_to_file(out, p.out_path.c_str(), false); });
    gguf_free(out);
    ggml_free(data);
    return err;
}
