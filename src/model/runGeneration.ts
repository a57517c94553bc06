import type { NativeGenResult, NativeTokenLogprobs } from "../bindings/AddonTypes.js";
import { withAbortFlag } from "../bindings/abortFlag.js";
import { callNative } from "../bindings/loadAddon.js";
import { AbortError, InvalidOptionError } from "../errors.js";
import { checkContextMemory } from "./memory.js";
import type { Model } from "./Model.js";
import { GENERATION_DEFAULTS } from "./generationDefaults.js";
import { promptInstruction, promptTokens } from "./templates.js";
import type { GenerateOptions, GenerationHandle, GenerationResult, PromptInput } from "./generationTypes.js";
import { INT32_MAX, UINT32_MAX } from "../util/numbers.js";

function check(cond: boolean, what: string, hint?: string): void {
  if (!cond) throw new InvalidOptionError("INVALID_OPTION", what, { suggestion: hint });
}

/** Validates options before anything reaches native code. */
export function resolveGenerateOptions(model: Model, opts: GenerateOptions) {
  const d = GENERATION_DEFAULTS;
  const maxTokens = opts.maxTokens ?? d.maxTokens;
  const temperature = opts.temperature ?? d.temperature;
  const topK = opts.topK ?? d.topK;
  const topP = opts.topP ?? d.topP;
  const minP = opts.minP ?? d.minP;
  const seed = opts.seed ?? d.seed;
  const parallel = opts.parallel ?? d.parallel;
  const batchSize = opts.batchSize ?? d.batchSize;
  const contextSize =
    opts.contextSize ??
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
  return { maxTokens, temperature, topK, topP, minP, seed, parallel, batchSize, contextSize, stop: opts.stop ?? [] };
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
  options: GenerateOptions,
): Promise<GenerationResult[]> {
  const opts = resolveGenerateOptions(model, options);
  if (prompts.length === 0) return [];
  if (options.signal?.aborted) throw new AbortError();
  /** The prompts' tokens, each checked to fit its sequence's context; `first` numbers them in errors. */
  const tokenize = (ps: PromptInput[], first: number) =>
    ps.map((p, k) => {
      const t = Int32Array.from(promptTokens(model, p, options.template ?? GENERATION_DEFAULTS.template));
      if (t.length >= opts.contextSize) {
        throw new InvalidOptionError(
          "PROMPT_TOO_LONG",
          `prompt ${first + k + 1} (${JSON.stringify(promptInstruction(p).slice(0, 40))}) is ${t.length} tokens, but each sequence's context is ${opts.contextSize} tokens`,
          { suggestion: "raise --context-size or shorten the prompt" },
        );
      }
      return t;
    });
  const tokenized = tokenize(prompts, 0);
  /** Every prompt by index: the first ones, then those appended while it runs. */
  const all = [...prompts];
  // a generation that takes prompts while it runs keeps every sequence for them
  const parallel = options.onStart ? opts.parallel : Math.min(opts.parallel, prompts.length);
  const slots = Math.max(parallel, options.contextSlots ?? 0);
  check(Number.isInteger(slots) && slots <= 256, `contextSlots must be an integer of at most 256, got ${slots}`);
  const key = { nCtx: opts.contextSize * slots, nSeq: slots, nBatch: opts.batchSize };
  checkContextMemory(model, key.nCtx, `a context of ${opts.contextSize} tokens × ${slots} sequences`);
  const ctx = model._getContext(key);
  const experts = (options.experts ?? []).map((e) => {
    checkSameVocab(model, e.model);
    if (!Number.isFinite(e.weight))
      throw new InvalidOptionError("INVALID_OPTION", `expert ${e.model.path}: weight must be a number`);
    return { context: e.model._getContext(key), weight: e.weight };
  });

  const toResult = (i: number, r: NativeGenResult): GenerationResult => ({
    instruction: promptInstruction(all[i]),
    output: r.text,
    tokens: Array.from(r.tokens),
    nPromptTokens: r.nPrompt,
    stopReason: r.stopReason,
  });
  const lpTop = options.logprobs ?? 0;
  if (!Number.isInteger(lpTop) || lpTop < 0 || lpTop > model.meta.nVocab) {
    throw new InvalidOptionError(
      "INVALID_OPTION",
      `logprobs must be an integer in [0, ${model.meta.nVocab}], got ${lpTop}`,
    );
  }
  const onEvent =
    options.onToken || options.onResult || options.onLogprobs
      ? (kind: string, index: number, payload: number | NativeGenResult | NativeTokenLogprobs) => {
          if (kind === "token") options.onToken?.(index, payload as number);
          else if (kind === "logprobs") {
            const lp = payload as NativeTokenLogprobs;
            const top = [];
            for (let j = 0; j < lp.top.length; j += 2) top.push({ token: lp.top[j], logprob: lp.top[j + 1] });
            options.onLogprobs?.(index, { token: lp.token, logprob: lp.logprob, top });
          } else options.onResult?.(index, toResult(index, payload as NativeGenResult));
        }
      : null;
  const handle: GenerationHandle = {
    append(more, signals = []) {
      const toks = tokenize(more, all.length);
      const first = ctx.append(toks);
      if (first < 0) return null;
      all.push(...more);
      const indices = more.map((_, k) => first + k);
      for (const [k, sig] of signals.entries()) {
        if (!sig) continue;
        const drop = () => ctx.drop(indices[k]);
        if (sig.aborted) drop();
        else sig.addEventListener("abort", drop, { once: true });
      }
      return indices;
    },
  };
  return withAbortFlag(
    options.signal,
    async (abortFlag) => {
      const running = callNative(() =>
        ctx.generate(
          Array.from(tokenized),
          {
            ...(options.rules ? { rules: model.rulesFor(options.rules).native } : {}),
            ...(experts.length ? { experts } : {}),
            maxTokens: opts.maxTokens,
            parallel,
            stream: !!options.onToken,
            ...(options.onLogprobs ? { logprobs: lpTop } : {}),
            ignoreEos: options.ignoreEos ?? false,
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
      options.onStart?.(handle);
      const results = await running;
      if (options.signal?.aborted) throw new AbortError();
      return results.slice(0, prompts.length).map((r, i) => toResult(i, r));
    },
    options.promptSignals?.slice(0, prompts.length),
  );
}
