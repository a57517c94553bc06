import { writeAtomic } from "../util/atomicWrite.js";
import { callNative, loadAddon } from "../bindings/loadAddon.js";
import { InvalidOptionError } from "../errors.js";
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
export async function makeLora(o: MakeLoraOptions): Promise<{ path: string; nParams: number }> {
  const rank = o.rank ?? 8;
  if (!Number.isInteger(rank) || rank < 1) throw new InvalidOptionError("INVALID_OPTION", `rank must be a positive integer, got ${rank}`);
  const basePath = await resolveModelPath(o.base);
  let made = { path: o.output, nParams: 0 };
  // Through a temporary file: a full disk or a failure never leaves half an adapter under the name.
  await writeAtomic(o.output, async (tmp) => {
    made = await callNative(() =>
      loadAddon().makeLora({
        basePath,
        outPath: tmp,
        rank,
        alpha: o.alpha ?? 2 * rank,
        targets: o.targets ?? ["attn_q", "attn_v"],
        bStd: o.bStd ?? 0,
        seed: o.seed ?? 42,
      }),
    );
  });
  return { ...made, path: o.output };
}
