/** The native addon's exports, typed in one place. Nothing outside src/bindings imports the .node file. */
export interface NativeModelMeta {
  architecture: string;
  name: string;
  description: string;
  nParams: number;
  sizeBytes: number;
  nCtxTrain: number;
  nEmbd: number;
  nLayer: number;
  nVocab: number;
  /** llama_vocab_type: 1 SPM, 2 BPE, 3 WPM, 4 UGM, 5 RWKV, 6 PLAMO2 */
  vocabType: number;
  bos: number;
  eos: number;
  eot: number;
  addBos: boolean;
  eogIds: number[];
  /** Layers (of nLayer + 1: the output layer counts) llama.cpp put on `devices`; 0 = all on the CPU. */
  offload: { layers: number; of: number; devices: string[] };
  chatTemplate: string | null;
  metadata: Record<string, string>;
}

export interface NativeGenResult {
  tokens: Int32Array;
  text: string;
  stopReason: "eos" | "max_tokens" | "stop_string" | "context_full" | "aborted";
  nPrompt: number;
}

export interface NativeSampling {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  seed: number;
}

/** The rule adapter as the addon reads it: a rule spec (src/rules/spec.ts) with token text resolved to ids. */
export interface NativeRules {
  eos: {
    enabled: boolean;
    slope: number;
    start: number;
    end: number;
    after: "reset" | "hold";
    hardStopAfter: number | null;
    hardStopScore: number;
    tokens: "eos" | "eog";
  };
  repetition: { enabled: boolean; penalty: number; scope: "after-user-tag" | "response" };
  /** The EOS rule's target ids: the one place they are chosen is src/model/resolveRules.ts. */
  eosIds: number[];
  tokens: { enabled: boolean; ids: number[]; scores: number[] };
  start: { enabled: boolean };
  userTag: Int32Array;
}

export interface NativeGenerateOptions {
  /** The rule adapter, first in the chain (resolved by src/model/resolveRules.ts). */
  rules?: NativeRules;
  /** Expert contexts (same shape as the base's) and their weights. */
  experts?: { context: AddonContext; weight: number }[];
  maxTokens: number;
  parallel: number;
  stream: boolean;
  /** Do not stop at end-of-generation tokens. */
  ignoreEos?: boolean;
  stop: string[];
  sampling: NativeSampling;
  /** Report each sampled token's logprob and this many alternatives ("logprobs" events). */
  logprobs?: number;
}

/** One sampled token's logprob; top = [id, logprob, id, logprob, …], best first. */
export interface NativeTokenLogprobs {
  token: number;
  logprob: number;
  top: Float32Array;
}

export type NativeGenEvent = ((kind: "token", index: number, token: number) => void) &
  ((kind: "done", index: number, result: NativeGenResult) => void);

export interface AddonModel {
  load(
    path: string,
    opts: { vocabOnly: boolean; gpuLayers: number; useMmap: boolean },
    /** Called with the loaded fraction (whole-percent steps, then 1). */
    onProgress: ((fraction: number) => void) | null,
    abortFlag: Int32Array,
  ): Promise<void>;
  meta(): NativeModelMeta;
  tokenize(text: string, addSpecial: boolean, parseSpecial: boolean): Int32Array;
  detokenize(tokens: Int32Array, removeSpecial: boolean, unparseSpecial: boolean): string;
  tokenPieces(): string[];
  /** The single token whose rendered piece is each text, or -1. */
  resolveTokens(texts: string[]): Int32Array;
  loadLora(path: string): Promise<number>;
  loraMeta(index: number): Record<string, string>;
  /**
   * Mean-pooled, L2-normalised embeddings of token sequences, on a context of their own
   * (embeddings = true, one sequence of nCtx tokens; longer sequences are truncated).
   */
  embed(
    seqs: Int32Array[],
    opts: { nCtx: number; nThreads: number; poll: number; loras: { index: number; scale: number }[] },
    abortFlag: Int32Array,
  ): Promise<Float32Array[]>;
  dispose(): void;
}

export interface AddonContext {
  /**
   * poll: the polling level of the context's ggml threadpool; nThreads: the count of the next decode;
   * decodesByThreads[k]: decodes run on k + 1 threads so far; threadMoves: changes of the count.
   */
  info(): {
    nCtx: number;
    nCtxSeq: number;
    nSeq: number;
    nBatch: number;
    nThreads: number;
    maxThreads: number;
    adaptive: boolean;
    decodesByThreads: number[];
    threadMoves: number;
    poll: number;
  };
  generate(
    prompts: Int32Array[],
    opts: NativeGenerateOptions,
    onEvent: ((kind: string, index: number, payload: number | NativeGenResult | NativeTokenLogprobs) => void) | null,
    abortFlag: Int32Array,
  ): Promise<NativeGenResult[]>;
  /** Prompts that join the running generate() (continuous batching): the first one's index, or -1 when none runs. */
  append(prompts: Int32Array[]): number;
  /** An appended prompt whose caller went away: it ends at its next token, or is not started. */
  drop(index: number): void;
  score(
    seqs: Int32Array[],
    from: number[],
    topK: number,
    abortFlag: Int32Array,
    /** Score under the rule adapter (the product distribution generation with it samples from). */
    rules?: NativeRules,
    /** top[p] = [id, logprob, id, logprob, …] at scored position p (from … n−1), then after the sequence. */
  ): Promise<{ tokenLogprobs: Float32Array; top: Float64Array[] }[]>;
  dispose(): void;
}

export interface MakeModelOptions {
  vocabPath: string;
  outPath: string;
  nLayer: number;
  nEmbd: number;
  nHead: number;
  nHeadKv: number;
  nFf: number;
  nCtx: number;
  seed: number;
  name: string;
  /** Weight type of the written file: "f32", "f16" or "q8_0". */
  type: string;
}

/** A training session (src/training/train.ts drives it window by window). */
export interface AddonTrainer {
  create(opts: {
    modelPath: string;
    /** "" = full finetune; else the adapter GGUF whose A/B are trained. */
    loraPath: string;
    nCtx: number;
    threads: number;
    /** Present: each training window's count adapts within [1, maxThreads], starting at `threads`. */
    maxThreads?: number;
    /** ggml's threadpool polling level, 0..100; absent = 0. */
    poll?: number;
    gpuLayers: number;
    sgd: boolean;
    /** Full finetuning without token_embd. */
    freezeEmbeddings?: boolean;
    beta1: number;
    beta2: number;
    eps: number;
    weightDecay: number;
    /** Clip each optimizer step's global gradient L2 norm at this; 0 or absent = no clipping. */
    maxGradNorm?: number;
  }): Promise<number>; // the window length
  /** One nCtx-token window (labels < 0 are masked); resolves with the summed NLL of its labelled positions. */
  window(tokens: Int32Array, labels: Int32Array, train: boolean, lossScale: number): Promise<number>;
  /** Training windows per optimizer step (between steps only). */
  setPeriod(period: number): void;
  setLr(lr: number): void;
  stepsDone(): number;
  /** The global L2 norm of the last optimizer step's gradient, before clipping (-1 before the first step). */
  gradNorm(): number;
  params(): { name: string; n: number }[];
  getTensor(name: string): Float32Array;
  setTensor(name: string, data: Float32Array): void;
  /** Writes the trained model (full) or adapter (LoRA), or the optimizer state. */
  save(path: string, what: "weights" | "optimizer"): Promise<number>;
  /** Where the trainer's model runs (as AddonModel.meta().offload). */
  offload(): NativeModelMeta["offload"];
  /** The training context's window, thread count and threadpool polling level. */
  info(): {
    nCtx: number;
    /** The count of the next training window. */
    nThreads: number;
    poll: number;
    adaptive: boolean;
    /** Training windows run on 1, 2, … threads so far. */
    stepsByThreads: number[];
    threadMoves: number;
  };
  /** Restores the step counter and (at their allocation) the AdamW moments. */
  loadOptimizer(path: string): void;
  dispose(): void;
}

export interface Addon {
  AddonModel: new () => AddonModel;
  AddonTrainer: new () => AddonTrainer;
  AddonContext: new (
    model: AddonModel,
    opts: {
      nCtx: number;
      nSeq: number;
      nBatch: number;
      /** The threads of the first decode; every decode's count when maxThreads is absent. */
      nThreads: number;
      /** Present: each decode's count adapts within [1, maxThreads] to the measured decode times. */
      maxThreads?: number;
      poll: number;
      kvF32: boolean;
      loras: { index: number; scale: number }[];
    },
  ) => AddonContext;
  makeModel(opts: MakeModelOptions): Promise<{ path: string; nParams: number }>;
  makeLora(opts: {
    basePath: string;
    outPath: string;
    rank: number;
    alpha: number;
    targets: string[];
    bStd: number;
    seed: number;
  }): Promise<{ path: string; nParams: number }>;
  systemInfo(): NativeSystemInfo;
}

export interface NativeDevice {
  /** ggml's device name, e.g. "CPU", "Vulkan0", "CUDA0". */
  name: string;
  description: string;
  /** The ggml backend it belongs to, e.g. "CPU", "Vulkan", "CUDA". */
  backend: string;
  type: "cpu" | "gpu" | "igpu" | "accel" | "other";
  memoryFree: number;
  memoryTotal: number;
}

export interface NativeSystemInfo {
  /** llama_print_system_info(): CPU features the CPU backend was compiled with. */
  llamaSystemInfo: string;
  /** ggml backends compiled into this addon. */
  backends: string[];
  devices: NativeDevice[];
  /** The devices a model's layers go to (GPUs, else integrated GPUs); empty = everything on the CPU. */
  offloadDevices: string[];
  gpuOffload: boolean;
  /** Bytes of models and contexts alive in this process, as told to V8 (AdjustExternalMemory). */
  heldBytes: number;
}
