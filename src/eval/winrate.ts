import { JudgeError } from "../errors.js";
import { isValidPreference, type Annotation } from "./annotations.js";

/** AlpacaEval's head-to-head metrics (`get_winrate`), plus the mean output_2 length. */
export interface WinRateSummary {
  /** 100 · mean(preference − 1). */
  win_rate: number;
  /** 100 · sample std (ddof = 1) / sqrt(n), i.e. pandas `sem`; NaN when n < 2, as in pandas. */
  standard_error: number;
  n_wins: number;
  n_wins_base: number;
  n_draws: number;
  n_total: number;
  /** 100 · (n_wins + n_draws / 2) / n_total. */
  discrete_win_rate: number;
  /** Mean output_2 length in Unicode code points (Python `len`); not rounded, unlike AlpacaEval. */
  avg_length: number;
}

/**
 * Computes AlpacaEval's metrics. Rows whose preference is missing (null/NaN) are dropped from every
 * count; legacy 0 counts as a draw (1.5). Empty input gives n_total 0 and NaN rates.
 */
export function computeWinRate(annotations: readonly Annotation[]): WinRateSummary {
  const kept: Annotation[] = [];
  const x: number[] = [];
  annotations.forEach((a, i) => {
    const p = a.preference;
    if (p === null || p === undefined || Number.isNaN(p)) return;
    if (typeof p !== "number" || !isValidPreference(p)) {
      throw new JudgeError("ANNOTATIONS_BAD_PREFERENCE", `annotation ${i}: preference ${String(p)} is outside [1, 2]`, {
        suggestion: "validate rows with readAnnotations/parseAnnotations first",
      });
    }
    kept.push(a);
    // p − 1 is exact for p in [1, 2], so thresholds on p and on p − 1 agree (AlpacaEval uses the latter).
    x.push((p === 0 ? 1.5 : p) - 1);
  });
  const n = x.length;
  const n_wins = x.filter((v) => v > 0.5).length;
  const n_wins_base = x.filter((v) => v < 0.5).length;
  const n_draws = n - n_wins - n_wins_base;

  // pandas: mean = sum / n; var = two-pass sum((mean − x)²) / (n − 1); sem = sqrt(var) / sqrt(n).
  const mean = pairwiseSum(x) / n;
  const variance = pairwiseSum(x.map((v) => (mean - v) ** 2)) / (n - 1);
  const sem = n < 2 ? Number.NaN : Math.sqrt(variance) / Math.sqrt(n);

  return {
    win_rate: mean * 100,
    standard_error: sem * 100,
    n_wins,
    n_wins_base,
    n_draws,
    n_total: n,
    // Same operation order as pandas' mean of {0, 0.5, 1}: the sum is exact, then / n, then · 100.
    discrete_win_rate: ((n_wins + n_draws / 2) / n) * 100,
    avg_length: pairwiseSum(kept.map((a) => codePointLength(a.output_2))) / n,
  };
}

/**
 * numpy's float64 `add.reduce` (pairwise, 8-way unrolled, blocks of 128), which pandas' mean and
 * var use. It reproduces AlpacaEval's published numbers bit for bit; naive summation is off by ~1e-15.
 */
export function pairwiseSum(a: readonly number[], lo = 0, n = a.length): number {
  if (n < 8) {
    let s = 0;
    for (let i = lo; i < lo + n; i++) s += a[i];
    return s;
  }
  if (n <= 128) {
    const r = a.slice(lo, lo + 8);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[lo + i + j];
    let s = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) s += a[lo + i];
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, lo, n2) + pairwiseSum(a, lo + n2, n - n2);
}

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
