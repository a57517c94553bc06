import { writeAtomic } from "../util/atomicWrite.js";
import { callNative, loadAddon } from "../bindings/loadAddon.js";
import { checkFloat32, checkInt, UINT32_MAX } from "../util/numbers.js";
import { checkLoraRank, loraParams } from "./loraShape.js";
import { checkMemory, modelShape } from "./memory.js";
import { loadModel } from "./Model.js";
import { resolveModelPath } from "./resolveModelPath.js";

export interface MakeLoraOptions {
  /** The base model GGUF the adapter is for (a path, or an hf: URI / URL as loadModel takes). */
  base: string;
  output: string;
  /** Defaults to `8`. */
  rank?: number;
  /** Defaults to `2 × rank`. */
  alpha?: number;
  /** Weight names inside each block, e.g. attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down. Defaults to `["attn_q", "attn_v"]`. */
  targets?: string[];
  /** Std of B's initial values; `0` makes the adapter a no-op (how LoRA training starts). Defaults to `0`. */
  bStd?: number;
  /** Defaults to `42`. */
  seed?: number;
}

/** Writes a GGUF LoRA adapter for `base` (A random, B zero or random). */
export async function makeLora(opts: MakeLoraOptions): Promise<{ path: string; nParams: number }> {
  const rank = checkInt(opts.rank ?? 8, "rank", { min: 1 });
  // Both reach native code as 32-bit floats: 1e39 would make the adapter infinite.
  const alpha = checkFloat32(opts.alpha ?? 2 * rank, "alpha");
  const bStd = checkFloat32(opts.bStd ?? 0, "bStd", { min: 0 });
  const seed = checkInt(opts.seed ?? 42, "seed", { min: 0, max: UINT32_MAX });
  const targets = opts.targets ?? ["attn_q", "attn_v"];
  const basePath = await resolveModelPath(opts.base);
  const vocab = await loadModel({ model: basePath, vocabOnly: true });
  const shape = modelShape(vocab.meta);
  vocab.dispose();
  checkLoraRank(shape, targets, rank, "rank");
  checkMemory(
    "MODEL_TOO_LARGE",
    4 * loraParams(shape, targets, rank),
    `a rank-${rank} adapter of ${basePath}`,
    "lower the rank",
  );
  let made = { path: opts.output, nParams: 0 };
  // Through a temporary file: a full disk or a failure never leaves half an adapter under the name.
  await writeAtomic(opts.output, async (tmp) => {
    made = await callNative(() => loadAddon().makeLora({ basePath, outPath: tmp, rank, alpha, targets, bStd, seed }));
  });
  return { ...made, path: opts.output };
}
