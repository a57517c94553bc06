import { existsSync, statSync } from "node:fs";
import { basename } from "node:path";
import type { AddonContext, AddonModel, NativeModelMeta } from "../bindings/AddonTypes.js";
import { withAbortFlag } from "../bindings/abortFlag.js";
import { callNative, callNativeSync, loadAddon } from "../bindings/loadAddon.js";
import { DisposedError, InvalidOptionError, ModelLoadError } from "../errors.js";
import type { GenerateOptions, GenerationResult, PromptInput } from "./generationTypes.js";
import { runGeneration } from "./runGeneration.js";
import { embedTexts, type EmbedOptions } from "./embed.js";
import { scoreSequences, type ScoreItem, type ScoreOptions, type ScoreResult } from "./score.js";
import { type ModelPlacement, placementOf } from "./placement.js";
import type { LoadModelOptions, LoraSpec } from "./options.js";
import { adaptiveMaxThreads, checkThreads, chooseThreads, resolvePoll } from "./threads.js";
import { resolveModelPath } from "./resolveModelPath.js";
import { checkFloat32 } from "../util/numbers.js";
import type { RuleSpec } from "../rules/spec.js";
import { type ResolvedRules, resolveRules } from "./resolveRules.js";

export type ModelMeta = Omit<NativeModelMeta, "metadata"> & { path: string; metadata: Record<string, string> };

const RULES_CACHE_SIZE = 64;

interface ContextKey {
  nCtx: number;
  nSeq: number;
  nBatch: number;
  nThreads: number;
  /** Each decode's count adapts up to this many threads; undefined = nThreads for every decode. */
  maxThreads: number | undefined;
}

/** A loaded GGUF model with its LoRA adapters applied. Create with {@link loadModel}; free with dispose() or `await using`. */
export class Model {
  /** @internal */ readonly _native: AddonModel;
  readonly path: string;
  readonly loras: readonly Required<LoraSpec>[];
  /** The explicit thread count it was loaded with; undefined = each context starts at {@link threadsFor} and adapts. */
  readonly threads: number | undefined;
  /** ggml's polling level for idle threads (0..100). */
  readonly poll: number;
  readonly vocabOnly: boolean;
  readonly kvCache: "f16" | "f32";
  private readonly _meta: NativeModelMeta;
  private _context?: { key: ContextKey; ctx: AddonContext };
  private _busy: Promise<unknown> = Promise.resolve();
  /** Rule specs resolved on this vocabulary, by spec (a generate call per prompt batch must not redo it). */
  private readonly _rules = new Map<string, ResolvedRules>();
  private _disposed = false;

  private constructor(native: AddonModel, path: string, loras: Required<LoraSpec>[], opts: LoadModelOptions) {
    this._native = native;
    this.path = path;
    this.loras = loras;
    this.threads = opts.threads;
    this.poll = resolvePoll(opts.poll);
    this.vocabOnly = opts.vocabOnly ?? false;
    this.kvCache = opts.kvCache ?? "f16";
    this._meta = native.meta();
  }

  /** @internal use loadModel() */
  static async _load(opts: LoadModelOptions): Promise<Model> {
    if (typeof opts?.model !== "string" || !opts.model) {
      throw new InvalidOptionError(
        "INVALID_OPTION",
        `loadModel() needs a model path (or { model: path }), got ${JSON.stringify(opts?.model ?? opts)}`,
      );
    }
    if (existsSync(opts.model) && statSync(opts.model).isDirectory()) {
      throw new ModelLoadError("MODEL_IS_DIRECTORY", `${opts.model} is a directory, not a GGUF file`, {
        suggestion: "pass the .gguf file inside it",
      });
    }
    if (opts.threads !== undefined) checkThreads(opts.threads);
    resolvePoll(opts.poll);
    if (opts.kvCache !== undefined && opts.kvCache !== "f16" && opts.kvCache !== "f32") {
      throw new InvalidOptionError("INVALID_OPTION", `kvCache must be "f16" or "f32", got ${String(opts.kvCache)}`);
    }
    const path = await resolveModelPath(opts.model, { modelsDir: opts.modelsDir });
    // Scales reach llama.cpp as 32-bit floats: 1e40 would be infinite weights.
    for (const l of opts.loras ?? []) checkFloat32(l.scale ?? 1, `LoRA scale of ${l.path}`);
    const addon = loadAddon(opts.gpu);
    const native = new addon.AddonModel();
    const onProgress = opts.onLoadProgress;
    await withAbortFlag(opts.signal, (flag) =>
      callNative(() =>
        native.load(
          path,
          { vocabOnly: opts.vocabOnly ?? false, gpuLayers: opts.gpuLayers ?? -1, useMmap: opts.useMmap ?? true },
          onProgress ? (f) => onProgress(f) : null,
          flag,
        ),
      ),
    );
    const loras: Required<LoraSpec>[] = [];
    try {
      if (opts.vocabOnly && opts.loras?.length) {
        throw new InvalidOptionError("INVALID_OPTION", "LoRA adapters need the model's weights; drop vocabOnly");
      }
      for (const l of opts.loras ?? []) {
        const scale = l.scale ?? 1;
        const lpath = await resolveModelPath(l.path, { modelsDir: opts.modelsDir });
        await callNative(() => native.loadLora(lpath));
        loras.push({ path: lpath, scale });
      }
    } catch (e) {
      native.dispose();
      throw e;
    }
    return new Model(native, path, loras, opts);
  }

  get disposed(): boolean {
    return this._disposed;
  }

  /** Architecture, sizes, special token ids, chat template and all GGUF metadata. */
  get meta(): ModelMeta {
    this.check();
    return { ...this._meta, path: this.path };
  }

  /**
   * The BOS a sequence starts with: [bos] when the GGUF says to add one (tokenizer.ggml.add_bos_token,
   * llama.cpp's default per vocabulary type), else [] (e.g. OLMo's GPT-NeoX vocabulary, as the paper ran it).
   * One rule for generation, scoring and training.
   */
  get bosPrefix(): number[] {
    const { bos, addBos } = this.meta;
    return addBos && bos >= 0 ? [bos] : [];
  }

  /**
   * Where this model runs: the addon build, the devices holding its offloaded layers, and how many of
   * its nLayer + 1 layers (the output layer counts) are there. `device` is "CPU" when none are.
   */
  get placement(): ModelPlacement {
    return placementOf(this.meta.offload);
  }

  /** A short name for outputs: file name without extension, plus adapters. */
  get name(): string {
    const base = basename(this.path).replace(/\.gguf$/i, "");
    const loras = this.loras.map(
      (l) => `+${basename(l.path).replace(/\.gguf$/i, "")}${l.scale === 1 ? "" : `@${l.scale}`}`,
    );
    return base + loras.join("");
  }

  tokenize(text: string, opts: { addSpecial?: boolean; parseSpecial?: boolean } = {}): number[] {
    return Array.from(this.tokenIds(text, opts));
  }

  /** As `tokenize`, as the addon's Int32Array (no copy into a JS array: for tokenizing whole datasets). */
  tokenIds(text: string, opts: { addSpecial?: boolean; parseSpecial?: boolean } = {}): Int32Array {
    this.check();
    return callNativeSync(() => this._native.tokenize(text, opts.addSpecial ?? false, opts.parseSpecial ?? false));
  }

  detokenize(tokens: ArrayLike<number>, opts: { removeSpecial?: boolean; unparseSpecial?: boolean } = {}): string {
    this.check();
    return callNativeSync(() =>
      this._native.detokenize(Int32Array.from(tokens), opts.removeSpecial ?? false, opts.unparseSpecial ?? false),
    );
  }

  /** Every token's text as stored in the vocabulary (SentencePiece "▁" / byte-level "Ġ" kept). */
  tokenPieces(): string[] {
    this.check();
    return this._native.tokenPieces();
  }

  /** Generates for one or many prompts; many run as parallel sequences of one context. */
  async generate(prompts: PromptInput | PromptInput[], options: GenerateOptions = {}): Promise<GenerationResult[]> {
    this.check();
    if (this.vocabOnly)
      throw new InvalidOptionError(
        "INVALID_OPTION",
        `${this.path} was loaded vocab-only; load it with weights to generate`,
      );
    const list = Array.isArray(prompts) ? prompts : [prompts];
    list.forEach((p, i) => {
      if (typeof p !== "string" && typeof p?.instruction !== "string") {
        throw new InvalidOptionError(
          "INVALID_OPTION",
          `prompt ${i + 1}: expected a string or { instruction: string }, got ${p === null ? "null" : typeof p}`,
        );
      }
    });
    return this._exclusive(() => runGeneration(this, list, options));
  }

  /** Teacher-forced log-probabilities of token sequences (judge labels, response ranking, logprobs). */
  async score(items: ScoreItem[], options: ScoreOptions = {}): Promise<ScoreResult[]> {
    this.check();
    if (this.vocabOnly)
      throw new InvalidOptionError(
        "INVALID_OPTION",
        `${this.path} was loaded vocab-only; load it with weights to score`,
      );
    return this._exclusive(() => scoreSequences(this, items, options));
  }

  /** Mean-pooled, L2-normalised embeddings of texts (cosine similarity = dot product). */
  async embed(texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    this.check();
    if (this.vocabOnly)
      throw new InvalidOptionError(
        "INVALID_OPTION",
        `${this.path} was loaded vocab-only; load it with weights to embed`,
      );
    return this._exclusive(() => embedTexts(this, texts, options));
  }

  /**
   * A validated rule spec resolved against this model's vocabulary (token texts to ids, the EOS rule's
   * targets, the user tag), once per spec: generation, scoring and the CLI's warnings share it.
   */
  rulesFor(spec: RuleSpec): ResolvedRules {
    this.check();
    const key = JSON.stringify(spec);
    let r = this._rules.get(key);
    if (!r) {
      r = resolveRules(this, spec);
      // A rule fit resolves hundreds of candidate specs: keep the recent ones only.
      if (this._rules.size >= RULES_CACHE_SIZE) this._rules.delete(this._rules.keys().next().value!);
      this._rules.set(key, r);
    }
    return r;
  }

  /** The token id of each text that is exactly one token of this vocabulary, else -1. */
  resolveTokens(texts: string[]): number[] {
    this.check();
    return texts.length ? Array.from(this._native.resolveTokens(texts)) : [];
  }

  /** The threads for a decode of `tokensPerDecode` tokens: the explicit count, else chosen from the work. */
  threadsFor(tokensPerDecode: number): number {
    return chooseThreads({ requested: this.threads, nParams: this._meta.nParams, tokensPerDecode });
  }

  /** The most threads a decode may adapt to: every core, unless an explicit count pins them all. */
  private maxThreads(): number | undefined {
    return this.threads === undefined ? adaptiveMaxThreads() : undefined;
  }

  /**
   * How the cached context's decodes ran: the count of the next one, whether it adapts, and how many ran on
   * 1, 2, … threads (none before the first generation or scoring).
   */
  threadStats(): { threads: number; adaptive: boolean; decodesByThreads: number[]; moves: number } | undefined {
    const info = this._context?.ctx.info();
    if (!info) return undefined;
    return {
      threads: info.nThreads,
      adaptive: info.adaptive,
      decodesByThreads: info.decodesByThreads,
      moves: info.threadMoves,
    };
  }

  /** Native calls on this model's context run one at a time, in call order. */
  private _exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this._busy.then(fn);
    this._busy = run.catch(() => undefined);
    return run;
  }

  /** @internal a context whose sequences hold `nTokens`: the cached one if it fits. */
  _contextFor(nTokens: number): AddonContext {
    const c = this._context;
    if (c && c.ctx.info().nCtxSeq >= nTokens) return c.ctx;
    const nBatch = 512;
    return this._getContext({ nCtx: Math.ceil(nTokens / 256) * 256, nSeq: 1, nBatch }, nBatch);
  }

  /**
   * @internal the cached context, recreated when its shape or thread count changes. Its threads fit
   * `tokensPerDecode`: a generation context decodes one token per sequence.
   */
  _getContext(shape: Omit<ContextKey, "nThreads" | "maxThreads">, tokensPerDecode = shape.nSeq): AddonContext {
    this.check();
    const key = { ...shape, nThreads: this.threadsFor(tokensPerDecode), maxThreads: this.maxThreads() };
    const c = this._context;
    if (
      c &&
      c.key.nCtx === key.nCtx &&
      c.key.nSeq === key.nSeq &&
      c.key.nBatch === key.nBatch &&
      c.key.nThreads === key.nThreads &&
      c.key.maxThreads === key.maxThreads
    )
      return c.ctx;
    c?.ctx.dispose();
    this._context = undefined;
    const addon = loadAddon();
    const ctx = callNativeSync(
      () =>
        new addon.AddonContext(this._native, {
          nCtx: key.nCtx,
          nSeq: key.nSeq,
          nBatch: key.nBatch,
          nThreads: key.nThreads,
          ...(key.maxThreads !== undefined ? { maxThreads: key.maxThreads } : {}),
          poll: this.poll,
          kvF32: this.kvCache === "f32",
          loras: this.loras.map((l, index) => ({ index, scale: l.scale })),
        }),
    );
    this._context = { key, ctx };
    return ctx;
  }

  async dispose(): Promise<void> {
    if (this._disposed) return;
    this._disposed = true;
    await this._busy;
    this._context?.ctx.dispose();
    this._context = undefined;
    this._native.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  private check(): void {
    if (this._disposed) throw new DisposedError("DISPOSED", `the model ${this.path} was disposed`);
  }
}

/** Loads a GGUF model (mmap) and applies its LoRA adapters. */
export function loadModel(options: LoadModelOptions | string): Promise<Model> {
  return Model._load(typeof options === "string" ? { model: options } : (options ?? ({} as LoadModelOptions)));
}
