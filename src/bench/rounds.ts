// Benchmarks against a peer run in alternated rounds and report each ratio's spread over them.

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}

/** The upper median (the middle of an odd count), as `spread` reports it. */
export const median = (xs: number[]) => spread(xs).median;

/** "min / median / max" with 3 decimals. */
export const formatSpread = (q: Spread) => `${q.min.toFixed(3)} / ${q.median.toFixed(3)} / ${q.max.toFixed(3)}`;

/** One round: ours first in even rounds, the peer first in odd ones, so neither always runs on a warmer machine. */
export async function alternate<A, B>(
  round: number,
  ours: () => Promise<A>,
  peer: () => B | Promise<B>,
): Promise<[A, B]> {
  if (round % 2 === 0) {
    const a = await ours();
    return [a, await peer()];
  }
  const b = await peer();
  return [await ours(), b];
}
