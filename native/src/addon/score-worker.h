// score()'s async work: iit_score off the JS thread.
#pragma once

#include <napi.h>

class AddonContext;

// score(seqs: Int32Array[], from: number[], topK, abortFlag: Int32Array, rules?) on `self`: reads and
// checks the arguments, queues the work, returns its promise ([{tokenLogprobs, top}] per sequence).
Napi::Promise iit_score_js(AddonContext * self, const Napi::CallbackInfo & info);
