// generate()'s async work: iit_generate off the JS thread, its events delivered on it.
#pragma once

#include <napi.h>

class AddonContext;

// generate(prompts: Int32Array[], {maxTokens, stop: string[], parallel, stream, sampling, ignoreEos?,
// logprobs?, experts?: [{context, weight}], rules?}, onEvent|null, abortFlag: Int32Array) on `self`:
// reads and checks the arguments, queues the work, returns its promise (every prompt's result).
// abortFlag[0] stops everything; when it is longer, abortFlag[1 + i] stops prompt i alone.
Napi::Promise iit_generate_js(AddonContext * self, const Napi::CallbackInfo & info);
