// Errors thrown to JS carry a `code`; src/bindings maps codes to typed error classes.
#pragma once

#include <napi.h>

#include <string>

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
        code_ = code;
        SetError(message);
    }
    void OnError(const Napi::Error & e) override {
        Napi::HandleScope scope(Env());
        deferred_.Reject(iit_error(Env(), code_.empty() ? "NATIVE_ERROR" : code_, e.Message()).Value());
    }
    Napi::Promise::Deferred deferred_;
    std::string code_;
};
