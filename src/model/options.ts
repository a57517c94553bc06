import type { GpuBackend } from "../bindings/loadAddon.js";

export interface LoraSpec {
  /** Path (or hf: URI) of a GGUF LoRA adapter. */
  path: string;
  /** Scale applied at load time. Defaults to `1`. */
  scale?: number;
}

export interface LoadModelOptions {
  /**
   * GGUF path, or `hf:user/repo:quant`, `hf:user/repo/file.gguf` or a URL: downloaded once into
   * `modelsDir` (through node-llama-cpp's resolver, from `HF_ENDPOINT` if set).
   */
  model: string;
  /** Where `hf:` and URL models (and adapters) are downloaded. Defaults to `IIT_MODELS_DIR`, else this package's `models/`. */
  modelsDir?: string;
  /** LoRA adapters applied at load time, in order. Defaults to none. */
  loras?: LoraSpec[];
  /** Layers offloaded to a GPU build's device; -1 = all. Defaults to `-1` (no effect on CPU builds). */
  gpuLayers?: number;
  /**
   * Which build of the native addon this process uses: "cpu" (build/), "vulkan", "cuda" or "metal"
   * (build-<gpu>/). Defaults to the IIT_GPU environment variable, else "cpu". The first native call
   * fixes it for the process; see docs/gpu.md.
   */
  gpu?: GpuBackend;
  /** Called as the weights load, with the fraction done (0 … 1, non-decreasing, ending at 1). */
  onLoadProgress?: (fraction: number) => void;
  /** Aborts the load: the promise rejects with AbortError and nothing stays allocated. */
  signal?: AbortSignal;
  /**
   * CPU threads for every decode, fixed; never above the cores. Unset, each context starts at a count
   * chosen from its work (the model's parameters × the tokens of one decode; see src/model/threads.ts),
   * 1 for tiny models, and moves each decode between 1 and the cores by the decode times it measures.
   */
  threads?: number;
  /** ggml's polling level (0..100) for idle threads between decodes. Defaults to `0`: they sleep at once. */
  poll?: number;
  /** Load only the vocabulary (tokenize, inspect, rule resolution). Defaults to `false`. */
  vocabOnly?: boolean;
  /** Memory-map the file. Defaults to `true`. */
  useMmap?: boolean;
  /**
   * KV cache precision. `"f32"` (also turns flash attention off) makes scores match the training
   * loss to ~1e-6; `"f16"` is faster and lighter. Defaults to `"f16"`.
   */
  kvCache?: "f16" | "f32";
}

/** Splits `path[:number]` (a one-word prefix such as `hf` is a scheme, not a path ending in a number). */
function pathAndNumber(arg: string): { path: string; value: number } {
  const m = /^(.*):(-?\d+(?:\.\d+)?(?:e-?\d+)?)$/i.exec(arg);
  if (m && !/^[a-z]+$/i.test(m[1])) return { path: m[1], value: Number(m[2]) };
  return { path: arg, value: 1 };
}

/** Parses `path[:scale]` as given to --lora. */
export function parseLoraArg(arg: string): LoraSpec {
  const { path, value } = pathAndNumber(arg);
  return { path, scale: value };
}

/** A model multiplied in as an expert, as given to --expert: its path and its weight (default 1). */
export interface ExpertArg {
  path: string;
  weight: number;
}

/** Parses `path[:weight]` as given to --expert. */
export function parseExpertArg(arg: string): ExpertArg {
  const { path, value } = pathAndNumber(arg);
  return { path, weight: value };
}
