// Benchmarks against a peer run in alternated rounds and report each ratio's spread over them.

export interface Spread {
  min: number;
  median: number;
  max: number;
  /** A 95% interval for the median (order statistics), from 6 rounds on: fewer cannot give one. */
  median_ci95?: [number, number];
}

export function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const k = medianIntervalRank(s.length);
  return {
    min: s[0],
    median: s[Math.floor(s.length / 2)],
    max: s[s.length - 1],
    ...(k === 0 ? {} : { median_ci95: [s[k - 1], s[s.length - k]] }),
  };
}

/**
 * The distribution-free interval for the median of n rounds: [k-th smallest, k-th largest] holds it with
 * probability 1 - 2·P(Binomial(n, ½) < k). The largest k whose coverage is at least 95%, or 0 (n < 6).
 */
export function medianIntervalRank(n: number): number {
  let k = 0;
  let below = 0; // P(Binomial(n, ½) < k + 1), summed term by term
  let term = 0.5 ** n; // P(X = 0)
  for (let j = 0; j < n / 2; j++) {
    below += term;
    if (1 - 2 * below < 0.95) break;
    k = j + 1;
    term = (term * (n - j)) / (j + 1);
  }
  return k;
}

/** The upper median (the middle of an odd count), as `spread` reports it. */
export const median = (xs: number[]) => spread(xs).median;

/** "min / median / max" with 3 decimals, and the median's 95% interval where there is one. */
export const formatSpread = (q: Spread) =>
  `${q.min.toFixed(3)} / ${q.median.toFixed(3)} / ${q.max.toFixed(3)}` +
  (q.median_ci95 ? ` (median 95% CI ${q.median_ci95[0].toFixed(3)}–${q.median_ci95[1].toFixed(3)})` : "");

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
