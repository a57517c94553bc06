// The addon's JS classes in one environment, kept so that a value can be checked to be an instance of
// one before it is unwrapped (see iit_js_unwrap).
#pragma once

#include <napi.h>

struct IitClasses {
    Napi::FunctionReference model, context, trainer;
};

// Set once by the module's Init (owned by the environment, freed with it).
inline IitClasses & iit_classes(Napi::Env env) {
    return *env.GetInstanceData<IitClasses>();
}
