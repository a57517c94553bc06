// Errors thrown to JS carry a `code`; src/bindings maps codes to typed error classes.
#pragma once

#include <napi.h>

#include <cstring>
#include <string>

#include "model/gguf-write.h"

inline Napi::Error iit_error(Napi::Env env, const std::string & code, const std::string & message) {
    Napi::Error e = Napi::Error::New(env, message);
    e.Set("code", Napi::String::New(env, code));
    return e;
}

// An AsyncWorker whose failure carries a code.
class IitWorker : public Napi::AsyncWorker {
public:
    explicit IitWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}
    Napi::Promise Promise() { return deferred_.Promise(); }

protected:
    void Fail(const std::string & code, const std::string & message) {
        const bool full = message.rfind(IIT_DISK_FULL, 0) == 0; // a checked GGUF write found no room
        code_           = full ? "DISK_FULL" : code;
        SetError(full ? message.substr(std::strlen(IIT_DISK_FULL)) : message);
    }
    void OnError(const Napi::Error & e) override {
        Napi::HandleScope scope(Env());
        deferred_.Reject(iit_error(Env(), code_.empty() ? "NATIVE_ERROR" : code_, e.Message()).Value());
    }
    Napi::Promise::Deferred deferred_;
    std::string             code_;
};
