import type { NativeGenResult, NativeTokenLogprobs } from "../bindings/AddonTypes.js";
import { withAbortFlag } from "../bindings/abortFlag.js";
import { callNative } from "../bindings/loadAddon.js";
import { AbortError, InvalidOptionError } from "../errors.js";
import { checkContextMemory } from "../model/memory.js";
import type { Model } from "../model/Model.js";
import { resolveRules } from "../rules/resolveRules.js";
import { GENERATION_DEFAULTS } from "./defaults.js";
import { promptInstruction, promptTokens } from "./templates.js";
import type { GenerateOptions, GenerationResult, PromptInput } from "./types.js";
import { INT32_MAX, UINT32_MAX } from "../util/numbers.js";

function check(cond: boolean, what: string, hint?: string): void {
  if (!cond) throw new InvalidOptionError("INVALID_OPTION", what, { suggestion: hint });
}

/** Validates options before anything reaches native code. */
export function resolveGenerateOptions(model: Model, o: GenerateOptions) {
  const d = GENERATION_DEFAULTS;
  const maxTokens = o.maxTokens ?? d.maxTokens;
  const temperature = o.temperature ?? d.temperature;
  const topK = o.topK ?? d.topK;
  const topP = o.topP ?? d.topP;
  const minP = o.minP ?? d.minP;
  const seed = o.seed ?? d.seed;
  const parallel = o.parallel ?? d.parallel;
  const batchSize = o.batchSize ?? d.batchSize;
  const contextSize =
    o.contextSize ??
    Math.min(model.meta.nCtxTrain > 0 ? model.meta.nCtxTrain : d.maxDefaultContext, d.maxDefaultContext);
  check(
    Number.isInteger(maxTokens) && maxTokens >= 1 && maxTokens <= INT32_MAX,
    `maxTokens must be an integer in [1, ${INT32_MAX}], got ${maxTokens}`,
  );
  check(Number.isFinite(temperature) && temperature >= 0, `temperature must be >= 0, got ${temperature}`);
  check(
    Number.isInteger(topK) && topK >= 0 && topK <= INT32_MAX,
    `topK must be an integer in [0, ${INT32_MAX}], got ${topK}`,
  );
  check(topP > 0 && topP <= 1, `topP must be in (0, 1], got ${topP}`);
  check(minP >= 0 && minP < 1, `minP must be in [0, 1), got ${minP}`);
  check(
    Number.isInteger(seed) && seed >= 0 && seed <= UINT32_MAX,
    `seed must be an integer in [0, ${UINT32_MAX}], got ${seed}`,
  );
  check(
    Number.isInteger(parallel) && parallel >= 1 && parallel <= 256,
    `parallel must be an integer in [1, 256], got ${parallel}`,
  );
  check(Number.isInteger(batchSize) && batchSize >= 1, `batchSize must be an integer >= 1, got ${batchSize}`);
  check(
    Number.isInteger(contextSize) && contextSize >= 16 && contextSize * parallel <= INT32_MAX,
    `contextSize must be an integer in [16, ${Math.floor(INT32_MAX / parallel)}], got ${contextSize}`,
  );
  return { maxTokens, temperature, topK, topP, minP, seed, parallel, batchSize, contextSize, stop: o.stop ?? [] };
}

const sameVocab = new WeakMap<Model, WeakSet<Model>>();

/** Experts run on the base's token ids: the vocabularies must be identical, id for id. */
function checkSameVocab(base: Model, expert: Model): void {
  if (sameVocab.get(base)?.has(expert)) return;
  const a = base.tokenPieces();
  const b = expert.tokenPieces();
  const diff = a.length !== b.length ? -1 : a.findIndex((p, i) => p !== b[i]);
  if (a.length !== b.length || diff >= 0) {
    throw new InvalidOptionError(
      "EXPERT_VOCAB_MISMATCH",
      `expert ${expert.path} does not share the vocabulary of ${base.path} (` +
        (diff < 0
          ? `${b.length} vs ${a.length} tokens`
          : `token ${diff} is ${JSON.stringify(b[diff])} vs ${JSON.stringify(a[diff])}`) +
        ")",
      { suggestion: "use an expert from the same model family (same tokenizer)" },
    );
  }
  if (!sameVocab.has(base)) sameVocab.set(base, new WeakSet());
  sameVocab.get(base)!.add(expert);
}

export async function runGeneration(
  model: Model,
  prompts: PromptInput[],
  o: GenerateOptions,
): Promise<GenerationResult[]> {
  const opts = resolveGenerateOptions(model, o);
  if (prompts.length === 0) return [];
  if (o.signal?.aborted) throw new AbortError();
  const tokenized = prompts.map((p) =>
    Int32Array.from(promptTokens(model, p, o.template ?? GENERATION_DEFAULTS.template)),
  );
  for (const [i, t] of tokenized.entries()) {
    if (t.length >= opts.contextSize) {
      throw new InvalidOptionError(
        "PROMPT_TOO_LONG",
        `prompt ${i + 1} (${JSON.stringify(promptInstruction(prompts[i]).slice(0, 40))}) is ${t.length} tokens, but each sequence's context is ${opts.contextSize} tokens`,
        { suggestion: "raise --ctx or shorten the prompt" },
      );
    }
  }
  const parallel = Math.min(opts.parallel, prompts.length);
  const slots = Math.max(parallel, o.contextSlots ?? 0);
  check(Number.isInteger(slots) && slots <= 256, `contextSlots must be an integer of at most 256, got ${slots}`);
  const key = { nCtx: opts.contextSize * slots, nSeq: slots, nBatch: opts.batchSize };
  checkContextMemory(model, key.nCtx, `a context of ${opts.contextSize} tokens × ${slots} sequences`);
  const ctx = model._getContext(key);
  const experts = (o.experts ?? []).map((e) => {
    checkSameVocab(model, e.model);
    if (!Number.isFinite(e.weight))
      throw new InvalidOptionError("INVALID_OPTION", `expert ${e.model.path}: weight must be a number`);
    return { context: e.model._getContext(key), weight: e.weight };
  });

  const toResult = (i: number, r: NativeGenResult): GenerationResult => ({
    instruction: promptInstruction(prompts[i]),
    output: r.text,
    tokens: Array.from(r.tokens),
    nPromptTokens: r.nPrompt,
    stopReason: r.stopReason,
  });
  const lpTop = o.logprobs ?? 0;
  if (!Number.isInteger(lpTop) || lpTop < 0 || lpTop > model.meta.nVocab) {
    throw new InvalidOptionError(
      "INVALID_OPTION",
      `logprobs must be an integer in [0, ${model.meta.nVocab}], got ${lpTop}`,
    );
  }
  const onEvent =
    o.onToken || o.onResult || o.onLogprobs
      ? (kind: string, index: number, payload: number | NativeGenResult | NativeTokenLogprobs) => {
          if (kind === "token") o.onToken?.(index, payload as number);
          else if (kind === "logprobs") {
            const lp = payload as NativeTokenLogprobs;
            const top = [];
            for (let j = 0; j < lp.top.length; j += 2) top.push({ token: lp.top[j], logprob: lp.top[j + 1] });
            o.onLogprobs?.(index, { token: lp.token, logprob: lp.logprob, top });
          } else o.onResult?.(index, toResult(index, payload as NativeGenResult));
        }
      : null;
  return withAbortFlag(
    o.signal,
    async (abortFlag) => {
      const results = await callNative(() =>
        ctx.generate(
          Array.from(tokenized),
          {
            ...(o.rules ? { rules: resolveRules(model, o.rules).native } : {}),
            ...(experts.length ? { experts } : {}),
            maxTokens: opts.maxTokens,
            parallel,
            stream: !!o.onToken,
            ...(o.onLogprobs ? { logprobs: lpTop } : {}),
            ignoreEos: o.ignoreEos ?? false,
            stop: opts.stop,
            sampling: {
              temperature: opts.temperature,
              topK: opts.topK,
              topP: opts.topP,
              minP: opts.minP,
              seed: opts.seed,
            },
          },
          onEvent,
          abortFlag,
        ),
      );
      if (o.signal?.aborted) throw new AbortError();
      return results.map((r, i) => toResult(i, r));
    },
    o.promptSignals?.slice(0, prompts.length),
  );
}
