import { InvalidOptionError } from "../errors.js";

/**
 * The largest seed: seeds reach native code as uint32, where llama.cpp reads 0xFFFFFFFF as "pick a random
 * seed", so a positive int32 is the range every use keeps exact and reproducible.
 */
export const MAX_SEED = 2 ** 31 - 1;

/** A seed must be an integer in [1, MAX_SEED]; 0 and negatives are refused rather than folded into another seed. */
export function checkSeed(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_SEED) {
    throw new InvalidOptionError(
      "INVALID_OPTION",
      `${name} ${n} is not a seed: seeds are positive 32-bit integers, 1 to ${MAX_SEED}`,
    );
  }
  return n;
}
