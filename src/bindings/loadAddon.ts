import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import {
  AbortError,
  DisposedError,
  GenerationError,
  IitError,
  type IitErrorCode,
  InvalidOptionError,
  LoraAdapterError,
  ModelLoadError,
  NativeBindingLoadError,
  OutputWriteError,
  SamplerConfigError,
  TrainingError,
} from "../errors.js";
import { packageRoot } from "../util/packageRoot.js";
import type { Addon } from "./AddonTypes.js";

const require = createRequire(import.meta.url);

/** The native addon's build variants: llama.cpp's ggml backend each was compiled with. */
export const GPU_BACKENDS = ["cpu", "vulkan", "cuda", "metal"] as const;
export type GpuBackend = (typeof GPU_BACKENDS)[number];

/** Where a variant is built (the same rule as scripts/build-native.mjs): build/ for cpu, build-<backend>/ else. */
export function variantDir(backend: GpuBackend): string {
  return join(packageRoot, backend === "cpu" ? "build" : `build-${backend}`);
}

/** The command that builds a variant. */
export function buildCommand(backend: GpuBackend): string {
  return backend === "cpu" ? "npm run build:native" : `IIT_GPU=${backend} npm run build:native`;
}

/** The variant asked for: the argument, else IIT_GPU, else cpu; anything else is a typed error. */
export function resolveGpuBackend(backend?: string): GpuBackend {
  const fromEnv = backend === undefined;
  const v = (backend ?? process.env.IIT_GPU ?? "cpu").toLowerCase() || "cpu";
  if ((GPU_BACKENDS as readonly string[]).includes(v)) return v as GpuBackend;
  throw new InvalidOptionError(
    "INVALID_OPTION",
    `${fromEnv ? "IIT_GPU" : "gpu"} = ${JSON.stringify(v)} is not a backend of this toolkit`,
    {
      suggestion: `use one of ${GPU_BACKENDS.join(", ")}`,
    },
  );
}

let cached: { addon: Addon; backend: GpuBackend; path: string } | undefined;

/** The variant this process loaded (undefined before the first native call). */
export function loadedBackend(): { backend: GpuBackend; path: string } | undefined {
  return cached && { backend: cached.backend, path: cached.path };
}

/**
 * Loads the native addon of one variant, once per process: `backend` (or IIT_GPU, default cpu) picks
 * build/Release/iit.node or build-<backend>/Release/iit.node; IIT_ADDON_PATH overrides the file.
 * Two variants in one process would each bring their own ggml and backend registry, so asking for a
 * second one is an error: run it in another process.
 */
export function loadAddon(backend?: GpuBackend): Addon {
  const want = resolveGpuBackend(backend);
  if (cached) {
    if (backend !== undefined && cached.backend !== want) {
      throw new NativeBindingLoadError(
        "NATIVE_VARIANT_CONFLICT",
        `this process already loaded the ${cached.backend} addon (${cached.path}); the ${want} variant cannot join it`,
        { suggestion: `run the ${want} work in another process (e.g. IIT_GPU=${want} iit ...)` },
      );
    }
    return cached.addon;
  }
  const built = join(variantDir(want), "Release", "iit.node");
  const path = process.env.IIT_ADDON_PATH || built;
  if (!existsSync(path)) {
    if (path !== built) {
      throw new NativeBindingLoadError("NATIVE_NOT_BUILT", `IIT_ADDON_PATH = ${path}: no such file`, {
        suggestion: "point IIT_ADDON_PATH at a built iit.node, or unset it",
      });
    }
    throw new NativeBindingLoadError(
      want === "cpu" ? "NATIVE_NOT_BUILT" : "NATIVE_VARIANT_NOT_BUILT",
      `the ${want} variant of the native addon is not built (${path} not found)`,
      {
        suggestion:
          `run \`${buildCommand(want)}\` in ${packageRoot} (needs cmake and a C++17 compiler` +
          (want === "vulkan"
            ? ", plus libvulkan-dev and glslc; see docs/gpu.md)"
            : want === "cuda"
              ? ", plus the CUDA toolkit)"
              : ")"),
      },
    );
  }
  try {
    cached = { addon: require(path) as Addon, backend: want, path };
    return cached.addon;
  } catch (e) {
    throw new NativeBindingLoadError(
      "NATIVE_LOAD_FAILED",
      `the ${want} native addon ${path} could not be loaded: ${(e as Error).message}`,
      {
        cause: e,
        suggestion: `rebuild it with \`${buildCommand(want)}\` (a build for another Node.js version or missing shared libraries fail this way)`,
      },
    );
  }
}

const CODE_CLASSES: Record<string, new (code: IitErrorCode, message: string, options: { cause: unknown }) => IitError> =
  {
    NOT_FOUND: ModelLoadError,
    NOT_GGUF: ModelLoadError,
    GGUF_CORRUPT: ModelLoadError,
    GGUF_TRUNCATED: ModelLoadError,
    GGUF_HPARAMS_INVALID: ModelLoadError,
    NOT_A_MODEL: ModelLoadError,
    MODEL_LOAD_FAILED: ModelLoadError,
    CONTEXT_FAILED: ModelLoadError,
    MAKE_MODEL_FAILED: ModelLoadError,
    MAKE_LORA_FAILED: LoraAdapterError,
    LORA_INVALID: LoraAdapterError,
    LORA_INCOMPATIBLE: LoraAdapterError,
    DISPOSED: DisposedError,
    GENERATION_FAILED: GenerationError,
    LOGITS_NOT_FINITE: GenerationError,
    SCORING_FAILED: GenerationError,
    EMBEDDING_FAILED: GenerationError,
    INVALID_TOKEN: GenerationError,
    INVALID_STATE: GenerationError,
    INVALID_ARGUMENT: InvalidOptionError,
    RULES_INVALID: SamplerConfigError,
    INVALID_OPTION: InvalidOptionError,
    MODEL_NOT_F32: TrainingError,
    TRAIN_INIT_FAILED: TrainingError,
    TRAINING_FAILED: TrainingError,
    SAVE_FAILED: TrainingError,
    CHECKPOINT_INVALID: TrainingError,
    DISK_FULL: OutputWriteError,
  };

/** Turns an error thrown by the addon (it carries `code`) into the matching typed error. */
export function mapNativeError(e: unknown): unknown {
  if (e instanceof IitError || !(e instanceof Error)) return e;
  const code = (e as Error & { code?: string }).code;
  if (!code) return e;
  if (code === "ABORTED") return new AbortError(undefined, { cause: e });
  // The codes native code throws are all in IitErrorCode (the table above lists them); the native error stays as cause.
  return new (CODE_CLASSES[code] ?? IitError)(code as IitErrorCode, e.message, { cause: e });
}

/** Runs fn, rethrowing native errors as typed ones. */
export async function callNative<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw mapNativeError(e);
  }
}

export function callNativeSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw mapNativeError(e);
  }
}
