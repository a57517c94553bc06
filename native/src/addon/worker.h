// The base of every async call: the promise it settles, the code its failure carries, the JS objects it
// keeps alive while it runs and the abort flag it polls.
#pragma once

#include <napi.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "addon/errors.h"
#include "model/gguf-write.h"

// The Int32Array a call's native loop polls: [0] stops everything; [1 + i], when present, part i alone.
class IitAbortFlag {
public:
    IitAbortFlag() = default;
    explicit IitAbortFlag(Napi::Int32Array flags) :
        ref_(Napi::Persistent(flags)),
        flags_(reinterpret_cast<volatile int32_t *>(flags.Data())),
        n_(flags.ElementLength()) {}
    bool   all() const { return flags_[0] != 0; }
    bool   part(size_t i) const { return i + 1 < n_ && flags_[i + 1] != 0; }
    size_t size() const { return n_; }

private:
    Napi::Reference<Napi::Int32Array> ref_; // the buffer stays alive while native code reads it
    volatile int32_t *                flags_ = nullptr;
    size_t                            n_     = 0;
};

// Base is Napi::AsyncWorker or Napi::AsyncProgressQueueWorker<T>. Subclasses implement Execute (off the
// JS thread; Fail() on failure), Result (the value the promise resolves with) and, when the call marks
// its owner busy, Settled (both on the JS thread, Settled first, whatever the outcome).
template <typename Base> class IitWorkerOf : public Base {
public:
    Napi::Promise Promise() const { return deferred_.Promise(); }

    // Keeps a JS object (the owner whose native state the work uses, an expert context) alive until the end.
    void Keep(Napi::Object o) { kept_.push_back(Napi::Persistent(o)); }

    void Watch(Napi::Int32Array abort_flag) { abort_ = IitAbortFlag(abort_flag); }

protected:
    // fail_code: what Fail(message) reports (an exception escaping Execute is NATIVE_ERROR).
    IitWorkerOf(Napi::Env env, const char * fail_code) :
        Base(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        fail_code_(fail_code) {}

    void Fail(const std::string & code, const std::string & message) {
        const bool full = message.rfind(IIT_DISK_FULL, 0) == 0; // a checked GGUF write found no room
        code_           = full ? "DISK_FULL" : code;
        this->SetError(full ? message.substr(std::strlen(IIT_DISK_FULL)) : message);
    }

    void Fail(const std::string & message) { Fail(fail_code_, message); }

    virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }

    virtual void Settled() {}

    void OnOK() override {
        Settled();
        deferred_.Resolve(Result(this->Env()));
    }

    void OnError(const Napi::Error & e) override {
        Settled();
        deferred_.Reject(iit_error(this->Env(), code_.empty() ? "NATIVE_ERROR" : code_, e.Message()).Value());
    }

    IitAbortFlag abort_; // set by Watch

private:
    Napi::Promise::Deferred            deferred_;
    const char *                       fail_code_;
    std::string                        code_;
    std::vector<Napi::ObjectReference> kept_;
};

using IitWorker = IitWorkerOf<Napi::AsyncWorker>;

template <typename T> using IitProgressWorker = IitWorkerOf<Napi::AsyncProgressQueueWorker<T>>;

// Queues a worker and returns its promise. Napi::AsyncWorker deletes itself once it has settled
// (OnWorkComplete ends in Destroy(), `delete this`), so it cannot stay in a smart pointer while it runs:
// it is built in a unique_ptr while the call reads its arguments (a throw frees it unqueued) and handed
// to N-API here, at Queue(). Nothing deletes a worker by hand.
template <typename W> Napi::Promise iit_queue(std::unique_ptr<W> worker) {
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    worker.release(); // owned by N-API from here
    return promise;
}
