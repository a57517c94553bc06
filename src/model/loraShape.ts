// The shapes of a LoRA adapter's matrices, from the base model's dimensions: what make-lora and
// training size up front.
import { InvalidOptionError } from "../errors.js";
import type { ModelShape } from "./memory.js";

/** [inputs, outputs] of a llama block's weight `target`; undefined for a name outside the llama block. */
export function targetDims(s: ModelShape, target: string): [number, number] | undefined {
  const dims: Record<string, [number, number]> = {
    attn_q: [s.nEmbd, s.nEmbd],
    attn_k: [s.nEmbd, s.nEmbdKv],
    attn_v: [s.nEmbd, s.nEmbdKv],
    attn_output: [s.nEmbd, s.nEmbd],
    ffn_gate: [s.nEmbd, s.nFf],
    ffn_up: [s.nEmbd, s.nFf],
    ffn_down: [s.nFf, s.nEmbd],
  };
  return dims[target];
}

/** Parameters of a rank-`rank` adapter on `targets` in every block (A: in × r, B: r × out). */
export function loraParams(s: ModelShape, targets: string[], rank: number): number {
  const wide = Math.max(s.nEmbd, s.nFf); // an unknown target: the widest a llama block has
  return (
    s.nLayer *
    targets.reduce((n, t) => {
      const [i, o] = targetDims(s, t) ?? [wide, wide];
      return n + (i + o) * rank;
    }, 0)
  );
}

/**
 * A rank above the smaller side of a targeted weight adds nothing a full update would not (the update
 * A·B has at most that rank) and only costs memory: rank 1,000,000 ran for minutes before failing.
 */
export function checkLoraRank(s: ModelShape, targets: string[], rank: number, flag: string): void {
  const sides = targets.flatMap((t) => {
    const d = targetDims(s, t);
    return d ? [{ t, side: Math.min(...d) }] : [];
  });
  if (!sides.length) return;
  const smallest = sides.reduce((a, b) => (b.side < a.side ? b : a));
  if (rank > smallest.side) {
    throw new InvalidOptionError(
      "INVALID_OPTION",
      `${flag} ${rank} exceeds ${smallest.side}, the smaller side of the ${smallest.t} weights: a LoRA update cannot have a higher rank than the weight it adapts`,
      {
        suggestion: `use ${flag} ${smallest.side} or lower (typical: 8 to 64)`,
      },
    );
  }
}
