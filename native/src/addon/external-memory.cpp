#include "addon/external-memory.h"

#include <atomic>

namespace {
std::atomic<int64_t> g_total{ 0 };
}

int64_t iit_external_adjust(Napi::Env env, int64_t delta) {
    if (delta != 0) Napi::MemoryManagement::AdjustExternalMemory(env, delta);
    return g_total += delta;
}

int64_t iit_external_total() {
    return g_total.load();
}
