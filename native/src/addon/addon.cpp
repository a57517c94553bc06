// Registration only: every export is defined next to what it wraps.
#include <napi.h>

#include "addon/addon-context.h"
#include "addon/addon-model.h"
#include "addon/addon-trainer.h"
#include "addon/classes.h"
#include "addon/log.h"
#include "addon/make-gguf.h"
#include "addon/system.h"
#include "llama.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
    iit_log_init();
    llama_backend_init();
    auto * classes = new IitClasses();
    env.SetInstanceData(classes);
    Napi::Function model   = AddonModel::Init(env);
    Napi::Function context = AddonContext::Init(env);
    Napi::Function trainer = AddonTrainer::Init(env);
    classes->model         = Napi::Persistent(model);
    classes->context       = Napi::Persistent(context);
    classes->trainer       = Napi::Persistent(trainer);
    exports.Set("AddonModel", model);
    exports.Set("AddonContext", context);
    exports.Set("AddonTrainer", trainer);
    exports.Set("makeModel", Napi::Function::New(env, iit_make_model_js));
    exports.Set("makeLora", Napi::Function::New(env, iit_make_lora_js));
    exports.Set("systemInfo", Napi::Function::New(env, iit_system_info));
    return exports;
}

} // namespace

NODE_API_MODULE(iit, Init)
