// Errors thrown to JS carry a `code`; src/bindings maps codes to typed error classes.
#pragma once

#include <napi.h>

#include <string>

inline Napi::Error iit_error(Napi::Env env, const std::string & code, const std::string & message) {
    Napi::Error e = Napi::Error::New(env, message);
    e.Set("code", Napi::String::New(env, code));
    return e;
}
