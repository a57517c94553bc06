// Finetuning through llama.cpp's optimizer (patched: native/patches), one window at a time.
//
// The caller drives the loop: it tokenizes, masks, shuffles and schedules; this class runs one
// n_ctx-token window forward (and backward, when training) and takes an AdamW step every `period`
// training windows (gradient accumulation). Full finetuning updates every F32 tensor of the model,
// token_embd included; with a LoRA adapter only the adapter's A and B are trained.
#pragma once

#include "llama.h"
#include "threading/thread-tuner.h"
#include "threading/threadpool.h"

struct gguf_context;

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct iit_trainer_params {
    std::string model_path;
    std::string lora_path;               // "" = full finetune; else this adapter (e.g. B = 0 from make-lora) is trained
    uint32_t    n_ctx             = 256; // window length, a multiple of 256 (llama.cpp pads contexts to 256)
    int32_t     n_threads         = 1;   // the first window's; every window's unless max_threads is set
    int32_t     max_threads       = 0;   // > 0: each training window's count adapts within [1, max_threads]
    uint32_t    poll              = 0;   // ggml threadpool polling level, 0..100
    int32_t     n_gpu_layers      = 0;
    bool        sgd               = false; // AdamW unless set (SGD makes gradients observable in tests)
    bool        freeze_embeddings = false; // full finetuning without token_embd (as llama-finetune)
    float       beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
    float       max_grad_norm = 0.0f; // clip each step's global gradient L2 norm at this (0 = no clipping)
};

struct iit_train_tensor {
    std::string   name;
    ggml_tensor * t;
};

class iit_trainer {
public:
    // Returns nullptr and sets code/message (MODEL_NOT_F32, LORA_INCOMPATIBLE, TRAIN_INIT_FAILED …) on failure.
    static std::unique_ptr<iit_trainer> create(const iit_trainer_params & p, std::string & code, std::string & message);
    ~iit_trainer();

    // One window: tokens[n_ctx], labels[n_ctx] (target id of each position, < 0 = masked).
    // loss_scale multiplies the window's summed NLL into the optimised loss, e.g. 1/(unmasked tokens
    // of the optimizer step). Returns the summed NLL of the window's labelled positions.
    double window(const llama_token * tokens, const int32_t * labels, bool train, double loss_scale);

    // Training windows per optimizer step; change only between steps.
    void    set_period(int32_t period);
    void    set_lr(float lr) { lr_ = lr; }
    int64_t steps_done() const;
    // The global L2 norm of the last optimizer step's gradient (before clipping); -1 before the first.
    float grad_norm() const;

    const std::vector<iit_train_tensor> & params() const { return params_; }
    std::vector<float>                    get_tensor(const std::string & name) const;
    bool                                  set_tensor(const std::string & name, const std::vector<float> & data);

    // The trained model (full) or adapter (LoRA), and the optimizer state for resuming.
    std::string save(const std::string & path) const;
    std::string save_optimizer(const std::string & path) const;
    // Restores the step counter now and the AdamW moments when llama.cpp allocates them.
    std::string load_optimizer(const std::string & path);

    uint32_t                 n_ctx() const { return n_ctx_; }
    int32_t                  n_threads() const { return llama_n_threads(ctx_); }
    const iit_thread_tuner & tuner() const { return *tuner_; }
    uint32_t                 poll() const { return pool_ ? pool_->poll() : 0; }
    const llama_vocab *      vocab() const { return llama_model_get_vocab(model_); }
    llama_model *            model() const { return model_; }

private:
    iit_trainer() = default;
    const iit_train_tensor *         find(const std::string & name) const;
    static ggml_opt_optimizer_params opt_pars(void * ud);
    static void                      restore_moments(ggml_context * ctx_static, void * ud);
    static bool                      mark_lora_params(ggml_tensor * t, bool ask, void * ud);

    iit_trainer_params                p_;
    llama_model *                     model_   = nullptr;
    llama_context *                   ctx_     = nullptr;
    llama_adapter_lora *              lora_    = nullptr;
    ggml_opt_context_t                opt_     = nullptr;
    ggml_opt_dataset_t                dataset_ = nullptr;
    ggml_opt_result_t                 result_  = nullptr;
    uint32_t                          n_ctx_   = 0;
    int32_t                           period_  = 1;
    float                             lr_      = 1e-5f;
    bool                              marking_ = false; // flag LoRA tensors during the warm-up decode
    std::vector<iit_train_tensor>     params_;
    std::unique_ptr<iit_threadpool>   pool_;                      // a member: freed after ~iit_trainer has freed ctx_
    std::unique_ptr<iit_thread_tuner> tuner_;                     // the thread count of each window
    gguf_context *                    pending_moments_ = nullptr; // from load_optimizer, applied by restore_moments
    ggml_context *                    pending_data_    = nullptr;
};
