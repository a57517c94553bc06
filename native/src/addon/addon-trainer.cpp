#include "addon/addon-trainer.h"

#include "addon/errors.h"
#include "addon/external-memory.h"
#include "addon/js-args.h"
#include "addon/log.h"
#include "addon/system.h"
#include "addon/worker.h"

#include <functional>
#include <memory>

namespace {

// Runs `job` on the trainer's home thread (it returns "" or an error message, and may set a code);
// resolves with the number it stores, after `done` ran on the JS thread.
class JobWorker : public IitWorker {
public:
    using Job = std::function<std::string(double &, std::string & code)>;
    JobWorker(Napi::Env env, AddonTrainer * self, Job job, const char * code, std::function<void()> done = {}) :
        IitWorker(env, code),
        self_(self),
        job_(std::move(job)),
        done_(std::move(done)) {}

    void Execute() override {
        std::string code; // the job's own, else the worker's
        std::string err;
        self_->home->run([&] { err = job_(value_, code); });
        if (!err.empty()) code.empty() ? Fail(err) : Fail(code, err);
    }

    void Settled() override { self_->running = false; }

    Napi::Value Result(Napi::Env env) override {
        if (done_) done_();
        return Napi::Number::New(env, value_);
    }

private:
    AddonTrainer *        self_;
    Job                   job_;
    std::function<void()> done_;
    double                value_ = 0.0;
};

std::vector<int32_t> to_vec(const Napi::Int32Array & a) {
    return std::vector<int32_t>(a.Data(), a.Data() + a.ElementLength());
}

} // namespace

// Queues a job on the trainer's home thread; the trainer is busy until it settles.
Napi::Value AddonTrainer::queue(const Napi::CallbackInfo &                          info,
                                std::function<std::string(double &, std::string &)> job, const char * fail_code,
                                std::function<void()> done) {
    auto worker = std::make_unique<JobWorker>(info.Env(), this, std::move(job), fail_code, std::move(done));
    worker->Keep(info.This().As<Napi::Object>());
    Napi::Promise promise = iit_queue(std::move(worker));
    running               = true;
    return promise;
}

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

// create({modelPath, loraPath, nCtx, threads, maxThreads?, poll, gpuLayers, sgd, freezeEmbeddings, beta1, beta2, eps, weightDecay, maxGradNorm?}) -> Promise<nCtx>
Napi::Value AddonTrainer::Create(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    if (trainer || running) throw iit_error(env, "INVALID_STATE", "this trainer is already created");
    IitJsObject        o(info[0], "trainer.create: opts");
    iit_trainer_params p;
    p.model_path  = o.string("modelPath");
    p.lora_path   = o.string("loraPath");
    p.n_ctx       = o.uint32("nCtx");
    p.n_threads   = o.int32("threads");
    p.max_threads = o.has("maxThreads") ? o.int32("maxThreads") : 0;
    if (p.n_threads < 1 || p.max_threads < 0) {
        throw iit_error(env, "INVALID_ARGUMENT", "trainer.create: opts.threads must be >= 1 and opts.maxThreads >= 0");
    }
    p.poll              = o.get("poll").IsNumber() ? o.uint32("poll") : 0;
    p.n_gpu_layers      = o.int32("gpuLayers");
    p.sgd               = o.flag("sgd");
    p.freeze_embeddings = o.flag("freezeEmbeddings");
    p.beta1             = o.f32("beta1");
    p.beta2             = o.f32("beta2");
    p.eps               = o.f32("eps");
    p.weight_decay      = o.f32("weightDecay");
    if (o.get("maxGradNorm").IsNumber()) p.max_grad_norm = o.f32("maxGradNorm");
    if (!home) home = std::make_unique<IitHomeThread>();
    auto made = std::make_shared<std::unique_ptr<iit_trainer>>();
    return queue(
        info,
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
}

// window(tokens: Int32Array, labels: Int32Array, train: boolean, lossScale: number) -> Promise<summed NLL>
Napi::Value AddonTrainer::Window(const Napi::CallbackInfo & info) {
    Napi::Env     env     = info.Env();
    iit_trainer * tr      = ready(info);
    auto          tokens  = to_vec(iit_js_int32_array(info[0], "window: tokens"));
    auto          labels  = to_vec(iit_js_int32_array(info[1], "window: labels"));
    const bool    train   = info[2].ToBoolean();
    const double  scale   = iit_js_number(info[3], "window: lossScale").DoubleValue();
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
    return queue(
        info,
        [tr, tokens = std::move(tokens), labels = std::move(labels), train, scale](double & out, std::string &) {
            out = tr->window(tokens.data(), labels.data(), train, scale);
            return std::string();
        },
        "TRAINING_FAILED");
}

Napi::Value AddonTrainer::SetPeriod(const Napi::CallbackInfo & info) {
    iit_trainer * tr = ready(info);
    tr->set_period(iit_js_number(info[0], "setPeriod: period").Int32Value());
    return info.Env().Undefined();
}

Napi::Value AddonTrainer::SetLr(const Napi::CallbackInfo & info) {
    iit_trainer * tr = ready(info);
    tr->set_lr(iit_js_number(info[0], "setLr: lr").FloatValue());
    return info.Env().Undefined();
}

Napi::Value AddonTrainer::StepsDone(const Napi::CallbackInfo & info) {
    return Napi::Number::New(info.Env(), (double) ready(info)->steps_done());
}

// info() -> {nCtx, nThreads, poll, adaptive, stepsByThreads, threadMoves} of the training context
Napi::Value AddonTrainer::Info(const Napi::CallbackInfo & info) {
    const iit_trainer * t   = ready(info);
    Napi::Env           env = info.Env();
    Napi::Object        o   = Napi::Object::New(env);
    o.Set("nCtx", t->n_ctx());
    o.Set("nThreads", t->n_threads());
    o.Set("poll", t->poll());
    o.Set("adaptive", t->tuner().adaptive());
    Napi::Array steps = Napi::Array::New(env, t->tuner().decodes().size()); // training windows on 1, 2, … threads
    for (size_t i = 0; i < t->tuner().decodes().size(); i++) steps.Set(i, (double) t->tuner().decodes()[i]);
    o.Set("stepsByThreads", steps);
    o.Set("threadMoves", (double) t->tuner().moves());
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
    iit_trainer *      tr   = ready(info);
    std::string        name = iit_js_string(info[0], "getTensor: name");
    std::vector<float> v    = tr->get_tensor(name);
    if (v.empty()) throw iit_error(env, "INVALID_OPTION", "no trainable tensor named " + name);
    Napi::Float32Array out = Napi::Float32Array::New(env, v.size());
    std::copy(v.begin(), v.end(), out.Data());
    return out;
}

Napi::Value AddonTrainer::SetTensor(const Napi::CallbackInfo & info) {
    Napi::Env          env  = info.Env();
    iit_trainer *      tr   = ready(info);
    std::string        name = iit_js_string(info[0], "setTensor: name");
    Napi::Float32Array a    = iit_js_float32_array(info[1], "setTensor: data");
    if (!tr->set_tensor(name, std::vector<float>(a.Data(), a.Data() + a.ElementLength()))) {
        throw iit_error(env, "INVALID_OPTION",
                        "no trainable tensor " + name + " of " + std::to_string(a.ElementLength()) + " values");
    }
    return env.Undefined();
}

// save(path, what: "weights" | "optimizer") -> Promise
Napi::Value AddonTrainer::Save(const Napi::CallbackInfo & info) {
    Napi::Env     env       = info.Env();
    iit_trainer * tr        = ready(info);
    std::string   path      = iit_js_string(info[0], "save: path");
    const bool    optimizer = iit_js_string(info[1], "save: what") == "optimizer";
    return queue(
        info,
        [tr, path, optimizer](double &, std::string &) {
            return optimizer ? tr->save_optimizer(path) : tr->save(path);
        },
        "SAVE_FAILED");
}

Napi::Value AddonTrainer::LoadOptimizer(const Napi::CallbackInfo & info) {
    iit_trainer * tr  = ready(info);
    std::string   err = tr->load_optimizer(iit_js_string(info[0], "loadOptimizer: path"));
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
