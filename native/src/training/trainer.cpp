#include "training/trainer.h"

#include "ggml-backend.h"
#include "ggml-opt.h"
#include "gguf.h"
#include "model/gguf-check.h"
#include "model/gguf-write.h"

#include <chrono>
#include <cstring>

namespace {

bool ends_with(const char * s, const char * suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool is_lora_tensor(const ggml_tensor * t) {
    return ends_with(t->name, ".lora_a") || ends_with(t->name, ".lora_b");
}

// Full finetuning: every F32 model tensor llama.cpp offers, except rope frequencies (constants).
struct filter_state {
    bool                            full;
    bool                            freeze_embeddings;
    std::vector<iit_train_tensor> * out;
};

bool param_filter(const ggml_tensor * t, void * ud) {
    auto * st = static_cast<filter_state *>(ud);
    if (!st->full || strcmp(t->name, "rope_freqs.weight") == 0) return false;
    if (st->freeze_embeddings && strcmp(t->name, "token_embd.weight") == 0) return false;
    for (const auto & p : *st->out)
        if (p.t == t) return true; // a tied output is token_embd itself
    st->out->push_back({ t->name, const_cast<ggml_tensor *>(t) });
    return true;
}

// Full finetuning updates F32 weights only: a quantized or F16 matrix would silently stay as it is.
// Returns the first weight matrix that is not F32, as "name (type)", or "".
std::string first_non_f32_matrix(const std::string & path) {
    gguf_init_params gp{ /*no_alloc =*/true, nullptr };
    gguf_context *   g = gguf_init_from_file(path.c_str(), gp);
    if (!g) return "";
    std::string found;
    for (int64_t i = 0; i < gguf_get_n_tensors(g) && found.empty(); i++) {
        const ggml_type   t      = gguf_get_tensor_type(g, i);
        const std::string name   = gguf_get_tensor_name(g, i);
        const bool        matrix = name.find("_norm") == std::string::npos && name != "rope_freqs.weight";
        if (matrix && t != GGML_TYPE_F32) found = name + " (" + ggml_type_name(t) + ")";
    }
    gguf_free(g);
    return found;
}

} // namespace

// LoRA: llama_opt_init only visits model tensors, so the adapter's tensors are flagged as parameters
// while one ordinary decode walks the graph (they are persistent objects; the flag sticks).
bool iit_trainer::mark_lora_params(ggml_tensor * t, bool ask, void * ud) {
    auto * tr = static_cast<iit_trainer *>(ud);
    if (!tr->marking_ || !ask) return false;
    for (ggml_tensor * src : t->src) {
        if (src && is_lora_tensor(src) && !(src->flags & GGML_TENSOR_FLAG_PARAM)) {
            ggml_set_param(src);
            tr->params_.push_back({ src->name, src });
        }
    }
    return false;
}

std::unique_ptr<iit_trainer> iit_trainer::create(const iit_trainer_params & p, std::string & code,
                                                 std::string & message) {
    std::unique_ptr<iit_trainer> tr(new iit_trainer());
    tr->p_          = p;
    const bool full = p.lora_path.empty();

    iit_gguf_check chk = iit_gguf_check_file(p.model_path);
    if (!chk.code.empty()) {
        code    = chk.code;
        message = chk.message;
        return nullptr;
    }

    if (full) {
        std::string bad = first_non_f32_matrix(p.model_path);
        if (!bad.empty()) {
            code    = "MODEL_NOT_F32";
            message = p.model_path + " has weights that full finetuning cannot update: " + bad + " is not F32";
            return nullptr;
        }
    }

    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers       = p.n_gpu_layers;
    mp.use_extra_bufts    = false;                 // repacked weights have no backward pass
    if (full) mp.load_mode = LLAMA_LOAD_MODE_NONE; // writable weights
    tr->model_ = llama_model_load_from_file(p.model_path.c_str(), mp);
    if (!tr->model_) {
        code    = "MODEL_LOAD_FAILED";
        message = "llama.cpp could not load " + p.model_path;
        return nullptr;
    }

    if (!full) {
        iit_gguf_check lc = iit_gguf_check_file(p.lora_path);
        if (!lc.code.empty()) {
            code    = lc.code;
            message = lc.message;
            return nullptr;
        }
        tr->lora_ = llama_adapter_lora_init(tr->model_, p.lora_path.c_str());
        if (!tr->lora_) {
            code    = "LORA_INCOMPATIBLE";
            message = p.lora_path + " is not a LoRA adapter for " + p.model_path;
            return nullptr;
        }
    }

    llama_context_params cp = llama_context_default_params();
    cp.n_ctx                = p.n_ctx;
    cp.n_batch =
        p.n_ctx; // one ubatch per window: attention then sees the current K/V (patches/0001-training.diff, item 3)
    cp.n_ubatch        = p.n_ctx;
    cp.n_seq_max       = 1;
    cp.n_threads       = p.n_threads;
    cp.n_threads_batch = p.n_threads;
    cp.type_k          = GGML_TYPE_F32; // OUT_PROD has no F16 path
    cp.type_v          = GGML_TYPE_F32;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED; // no backward pass
    cp.no_perf         = true;
    if (!full) {
        tr->marking_         = true;
        cp.cb_eval           = mark_lora_params;
        cp.cb_eval_user_data = tr.get();
    }
    tr->ctx_ = llama_init_from_model(tr->model_, cp);
    if (!tr->ctx_) {
        code    = "TRAIN_INIT_FAILED";
        message = "could not create a training context";
        return nullptr;
    }
    const int32_t max_threads = std::max(p.n_threads, p.max_threads);
    tr->pool_                 = std::make_unique<iit_threadpool>();
    if (!tr->pool_->attach(tr->ctx_, max_threads, p.poll)) {
        code    = "TRAIN_INIT_FAILED";
        message = "ggml could not start a pool of " + std::to_string(max_threads) + " threads";
        return nullptr;
    }
    tr->tuner_ = std::make_unique<iit_thread_tuner>(p.n_threads, max_threads, p.max_threads > 0, iit_idle_meter());
    tr->n_ctx_ = llama_n_ctx(tr->ctx_);
    if (tr->n_ctx_ != p.n_ctx) {
        code    = "INVALID_OPTION";
        message = "window length " + std::to_string(p.n_ctx) + " is not a multiple of 256";
        return nullptr;
    }
    if (!full) {
        float scale = 1.0f;
        if (llama_set_adapters_lora(tr->ctx_, &tr->lora_, 1, &scale) != 0) {
            code    = "LORA_INCOMPATIBLE";
            message = "could not apply " + p.lora_path;
            return nullptr;
        }
    }

    // One ordinary decode before opt_init: it applies the thread count (and pool) to the CPU backend, which the
    // training path never does (it would run at the backend's default of 4, oversubscribing the
    // cores). The same decode lets cb_eval flag the LoRA tensors.
    {
        llama_token t = llama_vocab_bos(llama_model_get_vocab(tr->model_));
        if (t < 0) t = 0;
        llama_batch b = llama_batch_get_one(&t, 1);
        if (llama_decode(tr->ctx_, b) != 0) {
            code    = "TRAIN_INIT_FAILED";
            message = "warm-up decode failed";
            return nullptr;
        }
        llama_memory_clear(llama_get_memory(tr->ctx_), true);
        tr->marking_ = false;
    }

    filter_state     fs{ full, p.freeze_embeddings, &tr->params_ };
    llama_opt_params op{};
    op.n_ctx_train     = tr->n_ctx_;
    op.param_filter    = param_filter;
    op.param_filter_ud = &fs;
    op.get_opt_pars    = opt_pars;
    op.get_opt_pars_ud = tr.get();
    op.optimizer_type  = p.sgd ? GGML_OPT_OPTIMIZER_TYPE_SGD : GGML_OPT_OPTIMIZER_TYPE_ADAMW;
    llama_opt_init(tr->ctx_, tr->model_, op);
    tr->opt_ = llama_opt_get_context(tr->ctx_);
    ggml_opt_set_max_grad_norm(tr->opt_, p.max_grad_norm > 0 ? p.max_grad_norm : 0.0f); // the norm is always logged

    if (tr->params_.empty()) {
        code    = full ? "MODEL_NOT_F32" : "LORA_INCOMPATIBLE";
        message = full ? p.model_path + " has no F32 weights to train (quantized or F16 base)"
                       : p.lora_path + " has no tensors this model uses";
        return nullptr;
    }

    tr->dataset_ = ggml_opt_dataset_init(GGML_TYPE_I32, GGML_TYPE_I32, tr->n_ctx_, tr->n_ctx_, 1, 1);
    tr->result_  = ggml_opt_result_init();
    return tr;
}

iit_trainer::~iit_trainer() {
    if (result_) ggml_opt_result_free(result_);
    if (dataset_) ggml_opt_dataset_free(dataset_);
    if (ctx_) llama_free(ctx_);
    if (lora_) llama_adapter_lora_free(lora_);
    if (model_) llama_model_free(model_);
    if (pending_moments_) gguf_free(pending_moments_);
    if (pending_data_) ggml_free(pending_data_);
}

ggml_opt_optimizer_params iit_trainer::opt_pars(void * ud) {
    auto *                    tr = static_cast<iit_trainer *>(ud);
    ggml_opt_optimizer_params o{};
    o.adamw.alpha = tr->lr_;
    o.adamw.beta1 = tr->p_.beta1;
    o.adamw.beta2 = tr->p_.beta2;
    o.adamw.eps   = tr->p_.eps;
    o.adamw.wd    = tr->p_.weight_decay;
    o.sgd.alpha   = tr->lr_;
    o.sgd.wd      = tr->p_.weight_decay;
    return o;
}

void iit_trainer::set_period(int32_t period) {
    period_ = period;
    ggml_opt_set_period(opt_, period);
}

int64_t iit_trainer::steps_done() const {
    return ggml_opt_get_iter(opt_) - 1;
}

float iit_trainer::grad_norm() const {
    return ggml_opt_get_grad_norm(opt_);
}

double iit_trainer::window(const llama_token * tokens, const int32_t * labels, bool train, double loss_scale) {
    memcpy(ggml_opt_dataset_data(dataset_)->data, tokens, n_ctx_ * sizeof(int32_t));
    memcpy(ggml_opt_dataset_labels(dataset_)->data, labels, n_ctx_ * sizeof(int32_t));
    // The graph's cross-entropy is (summed NLL)/n_ctx; scaled so that it becomes summed NLL × loss_scale.
    const double s = loss_scale > 0 ? loss_scale : 1.0;
    ggml_opt_set_loss_scale(opt_, (float) (s * n_ctx_));
    ggml_opt_result_reset(result_);
    // Training windows are all alike (n_ctx tokens, forward and backward), so the tuner compares them;
    // an evaluation window runs at the current count and tells it nothing (patches/0004 applies the count).
    const int32_t n = train ? tuner_->next() : tuner_->current();
    if (n != llama_n_threads(ctx_)) llama_set_n_threads(ctx_, n, n);
    const auto t0 = std::chrono::steady_clock::now();
    llama_opt_epoch(ctx_, dataset_, result_, result_, train ? 1 : 0, nullptr, nullptr);
    if (train)
        tuner_->record(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), (int32_t) n_ctx_);
    double loss = 0.0;
    ggml_opt_result_loss(result_, &loss, nullptr); // graph loss × period (ggml's per-datapoint rescale)
    return loss / period_ / s;
}

const iit_train_tensor * iit_trainer::find(const std::string & name) const {
    for (const auto & t : params_)
        if (t.name == name) return &t;
    return nullptr;
}

std::vector<float> iit_trainer::get_tensor(const std::string & name) const {
    const iit_train_tensor * t = find(name);
    if (!t) return {};
    std::vector<float> out(ggml_nelements(t->t));
    ggml_backend_tensor_get(t->t, out.data(), 0, ggml_nbytes(t->t));
    return out;
}

bool iit_trainer::set_tensor(const std::string & name, const std::vector<float> & data) {
    const iit_train_tensor * t = find(name);
    if (!t || (int64_t) data.size() != ggml_nelements(t->t)) return false;
    ggml_backend_tensor_set(t->t, data.data(), 0, ggml_nbytes(t->t));
    return true;
}

namespace {

// Writes backend tensors into a GGUF whose key-values are those of `kv`; gguf reads each tensor's data
// through its backend buffer while writing, so nothing is copied whole into host memory.
std::string write_gguf(const std::string & path, const gguf_context * kv, const std::vector<ggml_tensor *> & tensors) {
    gguf_context * g = gguf_init_empty();
    if (kv) gguf_set_kv(g, kv);
    for (ggml_tensor * t : tensors) gguf_add_tensor(g, t);
    std::string err = iit_write_gguf_checked(path, [&] { return gguf_write_to_file(g, path.c_str(), false); });
    gguf_free(g);
    return err;
}

} // namespace

std::string iit_trainer::save(const std::string & path) const {
    if (!lora_) {
        return iit_write_gguf_checked(path, [&] {
            llama_model_save_to_file(model_, path.c_str());
            return true; // it reports nothing: the read-back tells
        });
    }
    // The adapter's metadata as loaded (type, architecture, alpha), with the trained A and B.
    gguf_init_params gp{ /*no_alloc =*/true, nullptr };
    gguf_context *   src = gguf_init_from_file(p_.lora_path.c_str(), gp);
    if (!src) return "cannot re-read " + p_.lora_path;
    std::vector<ggml_tensor *> ts;
    for (const auto & t : params_) ts.push_back(t.t);
    std::string err = write_gguf(path, src, ts);
    gguf_free(src);
    return err;
}

std::string iit_trainer::save_optimizer(const std::string & path) const {
    gguf_context * kv = gguf_init_empty();
    gguf_set_val_u64(kv, "iit.opt.iter", (uint64_t) ggml_opt_get_iter(opt_));
    std::vector<ggml_tensor *> ts;
    if (ggml_context * st = ggml_opt_get_static_ctx(opt_)) {
        for (ggml_tensor * t = ggml_get_first_tensor(st); t; t = ggml_get_next_tensor(st, t)) {
            if (strncmp(t->name, "AdamW ", 6) == 0) ts.push_back(t); // accumulators are zero between steps
        }
    }
    std::string err = write_gguf(path, kv, ts);
    gguf_free(kv);
    return err;
}

std::string iit_trainer::load_optimizer(const std::string & path) {
    ggml_context *   data = nullptr;
    gguf_init_params gp{ false, &data };
    gguf_context *   g = gguf_init_from_file(path.c_str(), gp);
    if (!g) return "cannot read optimizer state " + path;
    int64_t k = gguf_find_key(g, "iit.opt.iter");
    if (k < 0) {
        gguf_free(g);
        ggml_free(data);
        return path + " is not an optimizer state file";
    }
    ggml_opt_set_iter(opt_, (int64_t) gguf_get_val_u64(g, k));
    if (pending_moments_) {
        gguf_free(pending_moments_);
        ggml_free(pending_data_);
    }
    pending_moments_ = g;
    pending_data_    = data;
    ggml_opt_set_static_init(opt_, restore_moments, this);
    return "";
}

void iit_trainer::restore_moments(ggml_context * ctx_static, void * ud) {
    auto * tr = static_cast<iit_trainer *>(ud);
    if (!tr->pending_data_) return;
    for (ggml_tensor * t = ggml_get_first_tensor(ctx_static); t; t = ggml_get_next_tensor(ctx_static, t)) {
        ggml_tensor * src = ggml_get_tensor(tr->pending_data_, t->name);
        if (src && ggml_nbytes(src) == ggml_nbytes(t)) ggml_backend_tensor_set(t, src->data, 0, ggml_nbytes(t));
    }
}
