#pragma once

#include <napi.h>

#include "addon/home-thread.h"
#include "training/trainer.h"

#include <functional>
#include <memory>
#include <string>

// A training session (src/training drives it window by window). Every call that computes runs off
// the JS thread, on the trainer's own home thread; one at a time.
class AddonTrainer : public Napi::ObjectWrap<AddonTrainer> {
public:
    static Napi::Function Init(Napi::Env env);
    explicit AddonTrainer(const Napi::CallbackInfo & info);
    ~AddonTrainer() override;

    std::unique_ptr<IitHomeThread> home; // declared before `trainer`: outlives it
    std::unique_ptr<iit_trainer>   trainer;
    bool                           running          = false;
    int32_t                        offloaded_layers = 0;
    int64_t held_bytes = 0; // the model's weights, reported to V8 as external memory while created

private:
    Napi::Value   Create(const Napi::CallbackInfo & info);
    Napi::Value   Window(const Napi::CallbackInfo & info);
    Napi::Value   SetPeriod(const Napi::CallbackInfo & info);
    Napi::Value   SetLr(const Napi::CallbackInfo & info);
    Napi::Value   StepsDone(const Napi::CallbackInfo & info);
    Napi::Value   GradNorm(const Napi::CallbackInfo & info);
    Napi::Value   Params(const Napi::CallbackInfo & info);
    Napi::Value   GetTensor(const Napi::CallbackInfo & info);
    Napi::Value   SetTensor(const Napi::CallbackInfo & info);
    Napi::Value   Save(const Napi::CallbackInfo & info);
    Napi::Value   LoadOptimizer(const Napi::CallbackInfo & info);
    Napi::Value   Offload(const Napi::CallbackInfo & info);
    Napi::Value   Info(const Napi::CallbackInfo & info);
    Napi::Value   Dispose(const Napi::CallbackInfo & info);
    iit_trainer * ready(const Napi::CallbackInfo & info);
    Napi::Value   queue(const Napi::CallbackInfo & info, std::function<std::string(double &, std::string &)> job,
                        const char * fail_code, std::function<void()> done = {});
    void          release();
};
