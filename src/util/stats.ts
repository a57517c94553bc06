// Small statistics: means, confidence intervals by bootstrap, and an exact paired test. Deterministic:
// every random draw comes from a seeded generator, so the same data and seed give the same interval.
import { seededRandom } from "./random.js";

export function mean(xs: number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/** Sample standard deviation (ddof 1, as pandas); null below two values. */
export function sampleStd(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs)!;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/** The q-quantile of sorted values, interpolated linearly between order statistics (numpy's default). */
export function quantile(sorted: number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return lo + 1 < sorted.length ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
}

export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
}

export interface BootstrapOptions {
  /** Resamples. Defaults to 2000. */
  resamples?: number;
  /** Seed of the resampling. Defaults to 1. */
  seed?: number;
  /** Coverage. Defaults to 0.95. */
  level?: number;
}

/**
 * Percentile bootstrap of a statistic of several samples' means. Each sample is a matrix, one row per
 * seed (training seed, or seed pair) and one column per prompt; every sample has the same prompts in
 * the same order. A resample draws prompts with replacement once, shared by all samples (they are
 * paired by prompt), and each sample's seeds with replacement on their own (seeds are independent runs).
 */
export function bootstrap(
  samples: number[][][],
  stat: (means: number[]) => number,
  opts: BootstrapOptions = {},
): Interval {
  const n = samples[0]?.[0]?.length ?? 0;
  for (const s of samples) {
    if (!s.length || s.some((row) => row.length !== n))
      throw new RangeError("bootstrap: every sample needs at least one seed and the same prompts");
  }
  const meanOf = (s: number[][], seeds: number[], prompts: number[]) => {
    let sum = 0;
    for (const k of seeds) for (const i of prompts) sum += s[k][i];
    return sum / (seeds.length * prompts.length);
  };
  const all = Array.from({ length: n }, (_, i) => i);
  const estimate = stat(
    samples.map((s) =>
      meanOf(
        s,
        s.map((_, k) => k),
        all,
      ),
    ),
  );
  const r = seededRandom(opts.seed ?? 1);
  const draw = (m: number) => Array.from({ length: m }, () => Math.floor(r() * m));
  const values: number[] = [];
  for (let b = 0; b < (opts.resamples ?? 2000); b++) {
    const prompts = draw(n);
    values.push(stat(samples.map((s) => meanOf(s, draw(s.length), prompts))));
  }
  values.sort((a, b) => a - b);
  const tail = (1 - (opts.level ?? 0.95)) / 2;
  return { estimate, lo: quantile(values, tail), hi: quantile(values, 1 - tail) };
}

/** a / b, with x / 0 = ∞ for x > 0 and 0 / 0 = 0 (nothing appeared, nothing to compare). */
export const ratio = (a: number, b: number) => (b > 0 ? a / b : a > 0 ? Infinity : 0);

/**
 * Exact two-sided McNemar test on paired binary outcomes: `b` pairs where only the first succeeded,
 * `c` where only the second did. The p-value is the binomial(b + c, 1/2) probability of a split at
 * least as uneven.
 */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const logC = (k: number) => lnFactorial(n) - lnFactorial(k) - lnFactorial(n - k);
  let tail = 0;
  for (let k = 0; k <= Math.min(b, c); k++) tail += Math.exp(logC(k) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

function lnFactorial(n: number): number {
  let s = 0;
  for (let i = 2; i <= n; i++) s += Math.log(i);
  return s;
}

// Directed rounding to `digits` decimals: a lower bound rounds down, an upper bound or a p-value up, so
// that the printed number is the compared one and never flatters the finding. The 1e-9 absorbs binary
// representation error (0.29 · 100 = 28.999…).
export const floorTo = (x: number, digits: number) =>
  Number.isFinite(x) ? Math.floor(x * 10 ** digits + 1e-9) / 10 ** digits : x;
export function ceilTo(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const y = Math.ceil(x * 10 ** digits - 1e-9) / 10 ** digits;
  return y === 0 ? (x > 0 ? 10 ** -digits : 0) : y; // a positive p-value never prints as 0
}
