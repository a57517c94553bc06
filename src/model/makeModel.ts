import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { writeAtomic } from "../util/atomicWrite.js";
import { callNative, loadAddon } from "../bindings/loadAddon.js";
import { packageRoot } from "../util/packageRoot.js";
import { InvalidOptionError } from "../errors.js";
import { checkInt, UINT32_MAX } from "../util/numbers.js";
import { checkMemory } from "./memory.js";
import { loadModel } from "./Model.js";

export interface MakeModelOptions {
  /** A GGUF to copy the vocabulary from: a path, or a name of the pinned llama.cpp tree's vocab files (`llama-spm` = Llama-2 32k). */
  vocab: string;
  output: string;
  /** Defaults to `2`. */
  layers?: number;
  /** Defaults to `64`. */
  width?: number;
  /** Defaults to `4`. */
  heads?: number;
  /** Defaults to `heads`. */
  kvHeads?: number;
  /** Feed-forward width. Defaults to 8/3 × width rounded to a multiple of 32 (at least 32), as llama does. */
  ff?: number;
  /** Weight type: F32 (trainable), or F16 / Q8_0 through llama.cpp's quantizer. Defaults to `"f32"`. */
  type?: "f32" | "f16" | "q8_0";
  /** Training context recorded in the file. Defaults to `2048`. */
  context?: number;
  /** Defaults to `42`. */
  seed?: number;
  /** `general.name` of the file. Defaults to `iit-random-<width>x<layers>`. */
  name?: string;
}

/** Directory of the vocab-only GGUFs shipped in the pinned llama.cpp source (prepared by the native build). */
export const vocabDir = join(packageRoot, "native", "llama.cpp", "models");

/** `llama-spm` → <vocabDir>/ggml-vocab-llama-spm.gguf; a path is returned as is. */
export function resolveVocab(vocab: string): string {
  if (existsSync(vocab)) return vocab;
  const p = join(vocabDir, `ggml-vocab-${vocab}.gguf`);
  if (existsSync(p)) return p;
  const names = existsSync(vocabDir)
    ? readdirSync(vocabDir)
        .filter((f) => /^ggml-vocab-.*\.gguf$/.test(f))
        .map((f) => f.slice(11, -5))
    : [];
  throw new InvalidOptionError("VOCAB_NOT_FOUND", `no vocabulary GGUF "${vocab}"`, {
    suggestion: names.length
      ? `give a path or one of: ${names.join(", ")}`
      : "give the path of a GGUF with a tokenizer",
  });
}

const positiveInt = (v: number, name: string) => checkInt(v, name, { min: 1 });

/** llama.cpp's LLAMA_MAX_LAYERS: a model with more blocks cannot be loaded (it aborts). */
export const MAX_LAYERS = 512;

async function vocabSize(vocabPath: string): Promise<number> {
  const vocab = await loadModel({ model: vocabPath, vocabOnly: true });
  try {
    return vocab.meta.nVocab;
  } finally {
    vocab.dispose();
  }
}

/** Writes a random-weight F32 llama GGUF with the given shape and vocabulary. */
export async function makeModel(opts: MakeModelOptions): Promise<{ path: string; nParams: number }> {
  const width = positiveInt(opts.width ?? 64, "width");
  const heads = positiveInt(opts.heads ?? 4, "heads");
  const kvHeads = positiveInt(opts.kvHeads ?? heads, "kvHeads");
  // The default is range-checked after the memory check, which any width too large for it fails first.
  const ff = opts.ff === undefined ? Math.max(32, Math.round(((8 / 3) * width) / 32) * 32) : positiveInt(opts.ff, "ff");
  if (width % heads !== 0 || (width / heads) % 2 !== 0) {
    throw new InvalidOptionError(
      "INVALID_OPTION",
      `width ${width} must be a multiple of heads ${heads} with an even head size`,
    );
  }
  const type = opts.type ?? "f32";
  if (!["f32", "f16", "q8_0"].includes(type))
    throw new InvalidOptionError("INVALID_OPTION", `type must be f32, f16 or q8_0, got ${type}`);
  if (heads % kvHeads !== 0)
    throw new InvalidOptionError("INVALID_OPTION", `heads ${heads} must be a multiple of kvHeads ${kvHeads}`);
  const layers = checkInt(opts.layers ?? 2, "layers", { min: 1, max: MAX_LAYERS });
  const nCtx = positiveInt(opts.context ?? 2048, "context");
  const seed = checkInt(opts.seed ?? 42, "seed", { min: 0, max: UINT32_MAX });
  const vocabPath = resolveVocab(opts.vocab);
  const addon = loadAddon();
  // Every weight is made in memory as F32 before it is written: size it first (ggml aborts otherwise).
  const nVocab = await vocabSize(vocabPath);
  const kvWidth = (width / heads) * kvHeads;
  const nParams =
    2 * nVocab * width + width + layers * (2 * width + 2 * width * width + 2 * width * kvWidth + 3 * width * ff);
  checkMemory(
    "MODEL_TOO_LARGE",
    4 * nParams,
    `a model of ${layers} layers of width ${width} (${nParams.toExponential(2)} F32 parameters)`,
    "lower --width, --layers or --ff",
  );
  positiveInt(ff, "ff");
  let made = { path: opts.output, nParams: 0 };
  // Through a temporary file: a full disk or a failure never leaves half a model under the name.
  await writeAtomic(opts.output, async (tmp) => {
    made = await callNative(() =>
      addon.makeModel({
        vocabPath,
        outPath: tmp,
        nLayer: layers,
        nEmbd: width,
        nHead: heads,
        nHeadKv: kvHeads,
        nFf: ff,
        nCtx,
        seed,
        name: opts.name ?? `iit-random-${width}x${layers}`,
        type,
      }),
    );
  });
  return { ...made, path: opts.output };
}
