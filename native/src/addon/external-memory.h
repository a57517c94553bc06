// Tells V8 the memory native objects hold (models, contexts), so that the garbage collector weighs
// an undisposed model by its size rather than by its small JS wrapper.
#pragma once

#include <napi.h>

#include <cstdint>

// Adds delta bytes (negative to release) to what V8 is told; returns the new total held by the addon.
int64_t iit_external_adjust(Napi::Env env, int64_t delta);
// Bytes currently reported (models + contexts alive).
int64_t iit_external_total();
