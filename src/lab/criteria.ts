// The lab's criteria, each able to fail: a lower bound as printed against its target, an exact paired
// test of an ablation against the full rules, and the median single-task arm's lower bound.
import { ceilTo, floorTo, mcnemarExact, mean, type Interval } from "../util/stats.js";

/** One criterion on an interval: it holds when the interval's lower bound, as printed, reaches the target. */
export interface Criterion {
  estimate: number;
  lo: number;
  hi: number;
  target: number;
  pass: boolean;
  text: string;
}

export const fix = (x: number, d: number) =>
  Number.isFinite(x) ? x.toFixed(d) : x === Infinity ? "∞" : x === -Infinity ? "−∞" : "–";

/**
 * `label` is at least `target`: the lower bound of its 95% interval, rounded down to `digits`, is what
 * is printed and what is compared (so 0.6996 prints 0.69 and fails a target of 0.70).
 */
export function atLeast(label: string, interval: Interval, target: number, digits: number, unit = ""): Criterion {
  const lo = floorTo(interval.lo, digits);
  const hi = ceilTo(interval.hi, digits);
  const pass = lo >= target;
  return {
    estimate: interval.estimate,
    lo,
    hi,
    target,
    pass,
    text: `${label} ${fix(interval.estimate, digits)}${unit} (95% CI ${fix(lo, digits)}–${fix(hi, digits)}${unit}): lower bound ${fix(lo, digits)} ${pass ? "≥" : "<"} ${fix(target, digits)}`,
  };
}

/** An ablation against the full rules, paired by prompt: exact McNemar test on strict. */
export interface AblationTest {
  arm: string;
  strict: number;
  full_strict: number;
  /** Prompts only the full rules answer strictly, and only the ablation. */
  full_only: number;
  ablation_only: number;
  /** The two-sided p-value rounded up to 3 decimals: the printed and compared one. */
  p: number;
  direction: "below" | "above" | "no difference";
  /** False when the ablation switches off only rules the full file does not use: excluded from the finding. */
  applicable: boolean;
  text: string;
}

export function ablationTest(
  arm: string,
  ablation: number[][],
  full: number[][],
  alpha: number,
  unusedRules: readonly string[] = [],
): AblationTest {
  // Seed k of one against seed k of the other (rule arms are generated once: one row each).
  let fullOnly = 0;
  let ablationOnly = 0;
  for (const [k, row] of ablation.entries())
    for (const [i, x] of row.entries()) {
      const y = full[k]?.[i];
      if (y === 1 && x === 0) fullOnly++;
      if (y === 0 && x === 1) ablationOnly++;
    }
  const p = ceilTo(mcnemarExact(fullOnly, ablationOnly), 3);
  const direction: AblationTest["direction"] =
    p < alpha ? (ablationOnly < fullOnly ? "below" : "above") : "no difference";
  const [s, f] = [mean(ablation.flat()) ?? NaN, mean(full.slice(0, ablation.length).flat()) ?? NaN];
  const counts = `${fullOnly} prompts only the full rules answer strictly, ${ablationOnly} only the ablation`;
  const measured = { arm, strict: s, full_strict: f, full_only: fullOnly, ablation_only: ablationOnly, p, direction };
  if (unusedRules.length)
    return {
      ...measured,
      applicable: false,
      text: `${arm}: not applicable (the rule file does not use the ${unusedRules.join(" and ")} rule${unusedRules.length > 1 ? "s" : ""}, so the ablation is the full rules again; ${counts})`,
    };
  return {
    ...measured,
    applicable: true,
    text: `${arm} ${fix(s, 3)}: ${direction === "no difference" ? "no difference from" : `${direction}`} the full rules (${fix(f, 3)}; ${counts}; exact McNemar p ≤ ${fix(p, 3)}, ${p < alpha ? "<" : "≥"} ${alpha})`,
  };
}

/**
 * The median arm's ratio, tested on intervals: the median of the arms' lower bounds (of an even count, the
 * mean of the middle two), as printed (2 digits), must reach the target.
 */
export function singleTaskMedian(lowerBounds: number[], target: number) {
  const sorted = [...lowerBounds].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const med = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  const lo = floorTo(med ?? NaN, 2);
  const k = lowerBounds.filter((x) => x >= target).length;
  const pass = lo >= target;
  return {
    lo,
    k,
    pass,
    text: `${k} of ${lowerBounds.length} ratio lower bounds ≥ ${fix(target, 2)}× (median lower bound ${fix(lo, 2)}× ${pass ? "≥" : "<"} ${fix(target, 2)}×)`,
  };
}
