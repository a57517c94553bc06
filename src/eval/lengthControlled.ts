import { JudgeError } from "../errors.js";
import type { Annotation } from "./annotations.js";
import { readGamedData, type GamedData } from "./glm/gamedData.js";
import { groupKFoldEqualSizes } from "./glm/groupKFold.js";
import { fitLiblinearL1Logistic, PATH_SEEDS, predictProba, type SoftRows } from "./glm/liblinear.js";
import { computeWinRate, pairwiseSum, type WinRateSummary } from "./winrate.js";

/**
 * AlpacaEval 2's `length_controlled_v1` GLM (glm_winrate.py, `get_length_controlled_winrate`):
 * P(output_2 wins) = logistic(θ₁·tanh(std_delta_len) + θ₂·instruction_difficulty + θ₃·not_gamed_baseline),
 * no intercept, fitted on this model's rows (weight 1) plus the two length-gamed baselines of
 * df_gamed.csv (weight 0.2 / 2 each), and predicted with the length term at 0.
 */
const GAMED_BASELINES_WEIGHT = 0.2 / 2;
const N_SPLITS = 5;
/** LogisticRegressionCV's default grid: `Cs=10` means np.logspace(-4, 4, 10). */
const CS = Array.from({ length: 10 }, (_, i) => 10 ** (i === 9 ? 4 : -4 + i * (8 / 9)));
/** sklearn's log_loss clipping, kept by AlpacaEval's `logloss`. */
const EPS = 1e-15;

export interface LengthControlledResult {
  /** 100 · mean over all rows of the GLM's P(output_2 wins) with the length difference at 0. */
  length_controlled_winrate: number;
  /** 100 · pandas `sem` (ddof = 1) of those predictions. */
  lc_standard_error: number;
  /**
   * The fitted coefficients of AlpacaEval's `np.tanh(std_delta_len)`, `instruction_difficulty` and
   * `not_gamed_baseline.astype(float)` (all 0 when output_2 is the baseline itself).
   */
  lc_weights: { length: number; instruction_difficulty: number; not_gamed_baseline: number };
  /** The inverse L1 strength the 5-fold cross-validation chose (null when nothing was fitted). */
  lc_C: number | null;
  /** AlpacaEval's warning: the LC rate moved more than 10 points or a quarter of the room to 0/100. */
  lc_extreme_change: boolean;
}

export interface LengthControlledDetail extends LengthControlledResult {
  /** Per annotation row, the GLM's preference (AlpacaEval's `glm_preference` column, in [0, 1]). */
  glm_preferences: number[];
  /** Summed CV score (negative log loss) for each C of the grid, as sklearn's `scores_`. */
  cv_scores: number[];
}

export interface LengthControlledOptions {
  /** The data folder holding `alpaca_eval/df_gamed.csv` (default `IIT_DATA_DIR`, else the package's `data/`). */
  dataDir?: string;
}

/** AlpacaEval's raw metrics plus its length-controlled win rate, reading df_gamed.csv from the data folder. */
export async function lengthControlledWinRate(
  annotations: readonly Annotation[],
  options: LengthControlledOptions = {},
): Promise<WinRateSummary & LengthControlledResult> {
  const raw = computeWinRate(annotations);
  const {
    glm_preferences: _p,
    cv_scores: _s,
    ...lc
  } = computeLengthControlled(annotations, await readGamedData(options.dataDir), raw.win_rate);
  return { ...raw, ...lc };
}

/**
 * The length-controlled win rate of one model's annotations against the baseline, given df_gamed.
 * Annotation row g is AlpacaEval instruction g (its difficulty is df_gamed's row g), as AlpacaEval
 * assumes: annotations must be in the AlpacaEval set's order.
 */
export function computeLengthControlled(
  annotations: readonly Annotation[],
  gamed: GamedData,
  rawWinRate?: number,
): LengthControlledDetail {
  const n = annotations.length;
  const fail = (what: string, suggestion: string) =>
    new JudgeError("LC_NOT_COMPUTABLE", `length-controlled win rate: ${what}`, { suggestion });
  const generators = new Set(annotations.map((a) => a.generator_2));
  if (generators.size !== 1) {
    throw fail(
      `needs the annotations of exactly one model (generator_2), got ${generators.size}`,
      "pass one model's annotations file",
    );
  }
  const winRate = rawWinRate ?? computeWinRate(annotations).win_rate;
  // AlpacaEval's preference in [0, 1], legacy 0 = draw; null = missing (left out of the fit only).
  const p = annotations.map((a) =>
    a.preference === null || Number.isNaN(a.preference) ? null : (a.preference === 0 ? 1.5 : a.preference) - 1,
  );

  if (annotations[0].generator_2 === annotations[0].generator_1) {
    // The baseline against itself: 0.5 by construction (AlpacaEval: preference·0 + 0.5, NaN for missing rows).
    const glm = p.filter((v) => v !== null).map(() => 0.5);
    return {
      ...summarise(glm, winRate),
      lc_weights: { length: 0, instruction_difficulty: 0, not_gamed_baseline: 0 },
      lc_C: null,
      glm_preferences: p.map((v) => (v === null ? Number.NaN : 0.5)),
      cv_scores: [],
    };
  }
  if (!p.some((v) => v !== null)) throw fail("every preference is missing", "judge the outputs first (iit judge)");

  // std_delta_len = (len₁ − len₂) / std(len₁ − len₂), over every row (pandas std, ddof = 1).
  const delta = annotations.map((a) => codePoints(a.output_1) - codePoints(a.output_2));
  const mean = pairwiseSum(delta) / n;
  const std = Math.sqrt(pairwiseSum(delta.map((v) => (mean - v) ** 2)) / (n - 1));
  if (!(std > 0)) {
    throw fail(
      `the length difference output_1 − output_2 does not vary over the ${n} rows`,
      "it needs at least two rows whose length differences differ",
    );
  }
  const difficulty = annotations.map((_, g) => {
    const d = gamed.difficultyByRow.get(g);
    if (d === undefined) {
      throw fail(
        `annotation row ${g} has no instruction difficulty in ${gamed.source} (it covers ${gamed.difficultyByRow.size} instructions, looked up by row as AlpacaEval does)`,
        "annotate the AlpacaEval instructions, in AlpacaEval's order",
      );
    }
    return d;
  });

  // Training rows: df_gamed first, then this model's, each without a missing preference (AlpacaEval's order).
  const x: number[][] = [];
  const soft: number[] = [];
  const weight: number[] = [];
  for (const r of gamed.rows) {
    if (r.preference === null) continue;
    x.push([Math.tanh(r.std_delta_len), r.instruction_difficulty, r.not_gamed_baseline ? 1 : 0]);
    soft.push(r.preference);
    weight.push(r.not_gamed_baseline ? 1 : GAMED_BASELINES_WEIGHT);
  }
  p.forEach((v, i) => {
    if (v === null) return;
    x.push([Math.tanh(delta[i] / std), difficulty[i], 1]);
    soft.push(v);
    weight.push(1);
  });
  const data: SoftRows = { x, a: soft.map((v, i) => v * weight[i]), b: soft.map((v, i) => (1 - v) * weight[i]) };

  const fold = groupKFoldEqualSizes(x.length, N_SPLITS);
  const folds = Array.from({ length: N_SPLITS }, (_, f) => ({
    train: x.flatMap((_, i) => (fold[i] === f ? [] : [i])),
    test: x.flatMap((_, i) => (fold[i] === f ? [i] : [])),
  }));
  const cvScores = CS.map((C, k) => {
    let sum = 0;
    for (const { train, test } of folds)
      sum += -logLoss(data, soft, weight, test, fitLiblinearL1Logistic(data, train, C, PATH_SEEDS[k]));
    return sum;
  });
  let best = 0;
  for (const [i, s] of cvScores.entries()) if (s > cvScores[best]) best = i;
  const all = x.map((_, i) => i);
  const beta = fitLiblinearL1Logistic(data, all, CS[best], PATH_SEEDS[0]);

  const glm = difficulty.map((d) => predictProba([0, d, 1], beta));
  return {
    ...summarise(glm, winRate),
    lc_weights: { length: beta[0], instruction_difficulty: beta[1], not_gamed_baseline: beta[2] },
    lc_C: CS[best],
    glm_preferences: glm,
    cv_scores: cvScores,
  };
}

/**
 * AlpacaEval's scorer (`logloss_continuous`) on one test fold: every row appears twice (its label-1
 * and label-0 copies, whose targets are p and 1 − (1 − p)), each weighted by its sample weight.
 */
function logLoss(
  data: SoftRows,
  soft: readonly number[],
  weight: readonly number[],
  test: readonly number[],
  beta: number[],
): number {
  const terms: number[] = [];
  const term = (i: number, y: number) => {
    const q = Math.min(Math.max(predictProba(data.x[i], beta), EPS), 1 - EPS);
    return (y * Math.log(q) + (1 - y) * Math.log(1 - q)) * weight[i];
  };
  for (const i of test) terms.push(term(i, soft[i]));
  for (const i of test) terms.push(term(i, 1 - (1 - soft[i])));
  return -pairwiseSum(terms) / terms.length;
}

function summarise(glm: readonly number[], winRate: number) {
  const n = glm.length;
  const mean = pairwiseSum(glm) / n;
  const sem = n < 2 ? Number.NaN : Math.sqrt(pairwiseSum(glm.map((v) => (mean - v) ** 2)) / (n - 1)) / Math.sqrt(n);
  const lc = mean * 100;
  return {
    length_controlled_winrate: lc,
    lc_standard_error: sem * 100,
    lc_extreme_change: isExtremeChange(winRate, lc),
  };
}

/** AlpacaEval's `get_is_extreme_changes` with its defaults (abs_diff 10, rel_diff 4). */
export function isExtremeChange(previous: number, next: number): boolean {
  const tooSmall = next < Math.min(previous - previous / 4, previous - 10);
  const tooLarge = next > Math.max(previous + (100 - previous) / 4, previous + 10);
  return tooSmall || tooLarge;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
