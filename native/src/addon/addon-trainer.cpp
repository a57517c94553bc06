#include "addon/addon-trainer.h"

#include "addon/errors.h"
#include "addon/external-memory.h"
#include "addon/log.h"
#include "addon/system.h"

#include <functional>
#include <memory>

namespace {

// Runs `job` off the JS thread (it returns "" or an error message, and may set a code); resolves
// with the number it stores, after `done` ran on the JS thread.
class JobWorker : public IitWorker {
public:
    using Job = std::function<std::string(double &, std::string & code)>;
    JobWorker(Napi::Env env, AddonTrainer * self, Napi::Object js, Job job, const char * code,
              std::function<void()> done = {}) :
        IitWorker(env),
        self_(self),
        job_(std::move(job)),
        fail_code_(code),
        done_(std::move(done)) {
        ref_ = Napi::Persistent(js);
    }
    void Execute() override {
        std::string code = fail_code_;
        std::string err;
        self_->home->run([&] { err = job_(value_, code); });
        if (!err.empty()) Fail(code, err);
    }
    void OnOK() override {
        self_->running = false;
        if (done_) done_();
        deferred_.Resolve(Napi::Number::New(Env(), value_));
    }
    void OnError(const Napi::Error & e) override {
        self_->running = false;
        IitWorker::OnError(e);
    }

private:
    AddonTrainer *        self_;
    Napi::ObjectReference ref_;
    Job                   job_;
    const char *          fail_code_;
    std::function<void()> done_;
    double                value_ = 0.0;
};

std::vector<int32_t> to_vec(const Napi::Int32Array & a) {
    return std::vector<int32_t>(a.Data(), a.Data() + a.ElementLength());
}

} // namespace

Napi::Function AddonTrainer::Init(Napi::Env env) {
    return DefineClass(env, "AddonTrainer",
                       {
                           InstanceMethod("create", &AddonTrainer::Create),
                           InstanceMethod("window", &AddonTrainer::Window),
                           InstanceMethod("setPeriod", &AddonTrainer::SetPeriod),
                           InstanceMethod("setLr", &AddonTrainer::SetLr),
                           InstanceMethod("stepsDone", &AddonTrainer::StepsDone),
                           InstanceMethod("gradNorm", &AddonTrainer::GradNorm),
                           InstanceMethod("params", &AddonTrainer::Params),
                           InstanceMethod("getTensor", &AddonTrainer::GetTensor),
                           InstanceMethod("setTensor", &AddonTrainer::SetTensor),
                           InstanceMethod("save", &AddonTrainer::Save),
                           InstanceMethod("loadOptimizer", &AddonTrainer::LoadOptimizer),
                           InstanceMethod("offload", &AddonTrainer::Offload),
                           InstanceMethod("info", &AddonTrainer::Info),
                           InstanceMethod("dispose", &AddonTrainer::Dispose),
                       });
}

AddonTrainer::AddonTrainer(const Napi::CallbackInfo & info) : Napi::ObjectWrap<AddonTrainer>(info) {}

AddonTrainer::~AddonTrainer() {
    release();
}

void AddonTrainer::release() {
    trainer.reset();
    iit_external_adjust(Env(), -held_bytes);
    held_bytes = 0;
}

iit_trainer * AddonTrainer::ready(const Napi::CallbackInfo & info) {
    if (!trainer) throw iit_error(info.Env(), "DISPOSED", "the trainer is not created or was disposed");
    if (running) throw iit_error(info.Env(), "INVALID_STATE", "the trainer is busy; await the previous call");
    return trainer.get();
}

// create({modelPath, loraPath, nCtx, threads, poll, gpuLayers, sgd, freezeEmbeddings, beta1, beta2, eps, weightDecay, maxGradNorm?}) -> Promise<nCtx>
Napi::Value AddonTrainer::Create(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (trainer || running) throw iit_error(env, "INVALID_STATE", "this trainer is already created");
    if (!home) home = std::make_unique<IitHomeThread>();
    Napi::Object       o = info[0].As<Napi::Object>();
    iit_trainer_params p;
    p.model_path        = o.Get("modelPath").As<Napi::String>();
    p.lora_path         = o.Get("loraPath").As<Napi::String>();
    p.n_ctx             = o.Get("nCtx").As<Napi::Number>().Uint32Value();
    p.n_threads         = o.Get("threads").As<Napi::Number>().Int32Value();
    p.poll              = o.Get("poll").IsNumber() ? o.Get("poll").As<Napi::Number>().Uint32Value() : 0;
    p.n_gpu_layers      = o.Get("gpuLayers").As<Napi::Number>().Int32Value();
    p.sgd               = o.Get("sgd").ToBoolean();
    p.freeze_embeddings = o.Get("freezeEmbeddings").ToBoolean();
    p.beta1             = o.Get("beta1").As<Napi::Number>().FloatValue();
    p.beta2             = o.Get("beta2").As<Napi::Number>().FloatValue();
    p.eps               = o.Get("eps").As<Napi::Number>().FloatValue();
    p.weight_decay      = o.Get("weightDecay").As<Napi::Number>().FloatValue();
    if (o.Get("maxGradNorm").IsNumber()) p.max_grad_norm = o.Get("maxGradNorm").As<Napi::Number>().FloatValue();
    running     = true;
    auto   made = std::make_shared<std::unique_ptr<iit_trainer>>();
    auto * w    = new JobWorker(
           env, this, info.This().As<Napi::Object>(),
           [p, made](double & n_ctx, std::string & code) {
            iit_log_clear_errors();
            std::string msg;
            *made = iit_trainer::create(p, code, msg);
            if (*made) {
                n_ctx = (*made)->n_ctx();
                return std::string();
            }
            std::string why = iit_log_take_errors();
            return msg + (why.empty() ? "" : ": " + why);
        },
           "TRAIN_INIT_FAILED",
           [this, made, n_gpu_layers = p.n_gpu_layers]() {
            trainer          = std::move(*made);
            offloaded_layers = iit_offloaded_layers(trainer->model(), n_gpu_layers, false);
            held_bytes       = (int64_t) llama_model_size(trainer->model());
            iit_external_adjust(Env(), held_bytes);
        });
    Napi::Promise promise = w->Promise();
    w->Queue();
    return promise;
}

// window(tokens: Int32Array, labels: Int32Array, train: boolean, lossScale: number) -> Promise<summed NLL>
Napi::Value AddonTrainer::Window(const Napi::CallbackInfo & info) {
    Napi::Env     env     = info.Env();
    iit_trainer * tr      = ready(info);
    auto          tokens  = to_vec(info[0].As<Napi::Int32Array>());
    auto          labels  = to_vec(info[1].As<Napi::Int32Array>());
    const bool    train   = info[2].ToBoolean();
    const double  scale   = info[3].As<Napi::Number>().DoubleValue();
    const int32_t n_vocab = llama_vocab_n_tokens(tr->vocab());
    if (tokens.size() != tr->n_ctx() || labels.size() != tr->n_ctx()) {
        throw iit_error(env, "INVALID_OPTION",
                        "a training window must hold exactly " + std::to_string(tr->n_ctx()) + " tokens and labels");
    }
    for (size_t i = 0; i < tokens.size(); i++) {
        if (tokens[i] < 0 || tokens[i] >= n_vocab || labels[i] >= n_vocab) {
            throw iit_error(env, "INVALID_OPTION", "token id out of range at window position " + std::to_string(i));
        }
    }
    running  = true;
    auto * w = new JobWorker(
        env, this, info.This().As<Napi::Object>(),
        [tr, tokens = std::move(tokens), labels = std::move(labels), train, scale](double & out, std::string &) {
            out = tr->window(tokens.data(), labels.data(), train, scale);
            return std::string();
        },
        "TRAINING_FAILED");
    Napi::Promise promise = w->Promise();
    w->Queue();
    return promise;
}

Napi::Value AddonTrainer::SetPeriod(const Napi::CallbackInfo & info) {
    ready(info)->set_period(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
}

Napi::Value AddonTrainer::SetLr(const Napi::CallbackInfo & info) {
    ready(info)->set_lr(info[0].As<Napi::Number>().FloatValue());
    return info.Env().Undefined();
}

Napi::Value AddonTrainer::StepsDone(const Napi::CallbackInfo & info) {
    return Napi::Number::New(info.Env(), (double) ready(info)->steps_done());
}

// info() -> {nCtx, nThreads, poll} of the training context
Napi::Value AddonTrainer::Info(const Napi::CallbackInfo & info) {
    const iit_trainer * t = ready(info);
    Napi::Object        o = Napi::Object::New(info.Env());
    o.Set("nCtx", t->n_ctx());
    o.Set("nThreads", t->n_threads());
    o.Set("poll", t->poll());
    return o;
}

Napi::Value AddonTrainer::GradNorm(const Napi::CallbackInfo & info) {
    return Napi::Number::New(info.Env(), (double) ready(info)->grad_norm());
}

// params() -> [{name, n}] of the trainable tensors
Napi::Value AddonTrainer::Params(const Napi::CallbackInfo & info) {
    Napi::Env    env = info.Env();
    const auto & ps  = ready(info)->params();
    Napi::Array  arr = Napi::Array::New(env, ps.size());
    for (size_t i = 0; i < ps.size(); i++) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("name", ps[i].name);
        o.Set("n", (double) ggml_nelements(ps[i].t));
        arr.Set(i, o);
    }
    return arr;
}

Napi::Value AddonTrainer::GetTensor(const Napi::CallbackInfo & info) {
    Napi::Env          env  = info.Env();
    std::string        name = info[0].As<Napi::String>();
    std::vector<float> v    = ready(info)->get_tensor(name);
    if (v.empty()) throw iit_error(env, "INVALID_OPTION", "no trainable tensor named " + name);
    Napi::Float32Array out = Napi::Float32Array::New(env, v.size());
    std::copy(v.begin(), v.end(), out.Data());
    return out;
}

Napi::Value AddonTrainer::SetTensor(const Napi::CallbackInfo & info) {
    Napi::Env          env  = info.Env();
    std::string        name = info[0].As<Napi::String>();
    Napi::Float32Array a    = info[1].As<Napi::Float32Array>();
    if (!ready(info)->set_tensor(name, std::vector<float>(a.Data(), a.Data() + a.ElementLength()))) {
        throw iit_error(env, "INVALID_OPTION",
                        "no trainable tensor " + name + " of " + std::to_string(a.ElementLength()) + " values");
    }
    return env.Undefined();
}

// save(path, what: "weights" | "optimizer") -> Promise
Napi::Value AddonTrainer::Save(const Napi::CallbackInfo & info) {
    Napi::Env     env       = info.Env();
    iit_trainer * tr        = ready(info);
    std::string   path      = info[0].As<Napi::String>();
    const bool    optimizer = info[1].As<Napi::String>().Utf8Value() == "optimizer";
    running                 = true;
    auto * w                = new JobWorker(
                       env, this, info.This().As<Napi::Object>(),
                       [tr, path, optimizer](double &, std::string &) {
            return optimizer ? tr->save_optimizer(path) : tr->save(path);
        },
                       "SAVE_FAILED");
    Napi::Promise promise = w->Promise();
    w->Queue();
    return promise;
}

Napi::Value AddonTrainer::LoadOptimizer(const Napi::CallbackInfo & info) {
    std::string err = ready(info)->load_optimizer(info[0].As<Napi::String>());
    if (!err.empty()) throw iit_error(info.Env(), "CHECKPOINT_INVALID", err);
    return info.Env().Undefined();
}

// offload() -> {layers, of, devices}: as AddonModel.meta().offload
Napi::Value AddonTrainer::Offload(const Napi::CallbackInfo & info) {
    Napi::Env     env = info.Env();
    iit_trainer * tr  = ready(info);
    Napi::Object  o   = Napi::Object::New(env);
    o.Set("layers", offloaded_layers);
    o.Set("of", llama_model_n_layer(tr->model()) + 1);
    Napi::Array devs = Napi::Array::New(env);
    if (offloaded_layers > 0)
        for (const auto & n : iit_offload_devices()) devs.Set(devs.Length(), n);
    o.Set("devices", devs);
    return o;
}

Napi::Value AddonTrainer::Dispose(const Napi::CallbackInfo & info) {
    if (running)
        throw iit_error(info.Env(), "INVALID_STATE", "the trainer is busy; await the previous call before disposing");
    release();
    return info.Env().Undefined();
}
