import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
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
  SamplerConfigError,
  TrainingError,
} from "../errors.js";
import type { Addon } from "./AddonTypes.js";

const require = createRequire(import.meta.url);
/** Repository (or installed package) root: src/bindings or dist/bindings are two levels down. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

let cached: Addon | undefined;

/** Loads build/Release/iit.node (or IIT_ADDON_PATH), once; fails with the fix spelled out. */
export function loadAddon(): Addon {
  if (cached) return cached;
  const candidates = [process.env.IIT_ADDON_PATH, join(packageRoot, "build", "Release", "iit.node")].filter(
    (p): p is string => !!p,
  );
  const errors: string[] = [];
  for (const p of candidates) {
    if (!existsSync(p)) {
      errors.push(`${p}: not found`);
      continue;
    }
    try {
      cached = require(p) as Addon;
      return cached;
    } catch (e) {
      errors.push(`${p}: ${(e as Error).message}`);
    }
  }
  throw new NativeBindingLoadError("NATIVE_NOT_BUILT", `the native addon could not be loaded (${errors.join("; ")})`, {
    suggestion: "run `npm run build:native` in the implicit-instruct directory (needs cmake and a C++17 compiler)",
  });
}

const CODE_CLASSES: Record<string, new (code: IitErrorCode, message: string, options: { cause: unknown }) => IitError> = {
  NOT_FOUND: ModelLoadError,
  NOT_GGUF: ModelLoadError,
  GGUF_CORRUPT: ModelLoadError,
  GGUF_TRUNCATED: ModelLoadError,
  NOT_A_MODEL: ModelLoadError,
  MODEL_LOAD_FAILED: ModelLoadError,
  CONTEXT_FAILED: ModelLoadError,
  MAKE_MODEL_FAILED: ModelLoadError,
  MAKE_LORA_FAILED: LoraAdapterError,
  LORA_INVALID: LoraAdapterError,
  LORA_INCOMPATIBLE: LoraAdapterError,
  DISPOSED: DisposedError,
  GENERATION_FAILED: GenerationError,
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
