// generate()'s async work: iit_generate off the JS thread, its events delivered on it.
#pragma once

#include <napi.h>

#include "llama.h"

#include <mutex>
#include <vector>

class AddonContext;

// Prompts appended to a running generate() (continuous batching): filled on the JS thread by append(),
// taken by the generator when a slot is free; closed when the generation ends, after which append() says so.
struct iit_gen_intake {
    std::mutex                            mutex;
    std::vector<std::vector<llama_token>> waiting;
    size_t                                next_index = 0; // the index the next appended prompt gets
    bool                                  closed     = false;
    std::vector<size_t>                   dropped; // appended prompts whose caller went away
};

// generate(prompts: Int32Array[], {maxTokens, stop: string[], parallel, stream, sampling, ignoreEos?,
// logprobs?, experts?: [{context, weight}], rules?}, onEvent|null, abortFlag: Int32Array) on `self`:
// reads and checks the arguments, queues the work, returns its promise (every prompt's result).
// abortFlag[0] stops everything; when it is longer, abortFlag[1 + i] stops prompt i alone.
Napi::Promise iit_generate_js(AddonContext * self, const Napi::CallbackInfo & info);

// append(prompts: Int32Array[]) -> the index of the first, or -1 when no generation runs or it has ended:
// the prompts join the running generate() as slots free up; their results arrive as "done" events.
Napi::Value iit_generate_append_js(AddonContext * self, const Napi::CallbackInfo & info);

// drop(index): an appended prompt's caller went away; it ends at its next token (or before it starts).
Napi::Value iit_generate_drop_js(AddonContext * self, const Napi::CallbackInfo & info);
