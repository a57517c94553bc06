import type { LengthControlledResult } from "../eval/lengthControlled.js";
import type { WinRateSummary } from "../eval/winrate.js";
import { mean, sampleStd } from "../util/stats.js";

/** One judged comparison: an arm's outputs (of one seed) against the reference's (same seed). */
export interface SeedResult {
  seed: number;
  win_rate: number;
  standard_error: number | null;
  discrete_win_rate: number;
  n_total: number;
  avg_length: number;
  step: string;
  /** AlpacaEval 2's length-controlled win rate and its SE (with `evaluation.lengthControlled`). */
  length_controlled_winrate?: number;
  lc_standard_error?: number | null;
}

/** One row of the results table. */
export interface ArmRow {
  arm: string;
  kind: string;
  reference: boolean;
  /** Seeds judged (the reference row: its seeds). */
  seeds: number[];
  /** Mean and sample std (ddof 1; null with one seed) of the win rate over seeds, in %. */
  win_rate_mean: number | null;
  win_rate_std: number | null;
  /** Mean over seeds of AlpacaEval's standard error of each comparison. */
  standard_error_mean: number | null;
  discrete_win_rate_mean: number | null;
  /** Mean output length in characters (AlpacaEval's avg_length), over seeds. */
  avg_length_mean: number | null;
  /** With `evaluation.lengthControlled`: mean and sample std over seeds of the LC win rate, mean of its SE. */
  lc_win_rate_mean?: number | null;
  lc_win_rate_std?: number | null;
  lc_standard_error_mean?: number | null;
  per_seed: SeedResult[];
  /** Judge steps not finished yet (collect on a partial run). */
  missing: string[];
}

export interface ResultsTable {
  experiment: string;
  reference: string;
  judge: string;
  both_orders: boolean;
  rows: ArmRow[];
}

export function armRow(
  arm: string,
  kind: string,
  reference: boolean,
  seeds: number[],
  per: SeedResult[],
  missing: string[],
): ArmRow {
  const fin = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return {
    arm,
    kind,
    reference,
    seeds,
    win_rate_mean: reference ? null : mean(fin(per.map((p) => p.win_rate))),
    win_rate_std: reference ? null : sampleStd(fin(per.map((p) => p.win_rate))),
    standard_error_mean: reference ? null : mean(fin(per.map((p) => p.standard_error))),
    discrete_win_rate_mean: reference ? null : mean(fin(per.map((p) => p.discrete_win_rate))),
    avg_length_mean: mean(fin(per.map((p) => p.avg_length))),
    ...(per.some((p) => p.length_controlled_winrate !== undefined)
      ? {
          lc_win_rate_mean: reference ? null : mean(fin(per.map((p) => p.length_controlled_winrate ?? null))),
          lc_win_rate_std: reference ? null : sampleStd(fin(per.map((p) => p.length_controlled_winrate ?? null))),
          lc_standard_error_mean: reference ? null : mean(fin(per.map((p) => p.lc_standard_error ?? null))),
        }
      : {}),
    per_seed: per,
    missing,
  };
}

/** Whether the table has length-controlled columns (the experiment asked for them and some arm has one). */
export function hasLengthControlled(t: ResultsTable): boolean {
  return t.rows.some((r) => r.lc_win_rate_mean !== undefined);
}

export function seedResult(
  seed: number,
  step: string,
  m: WinRateSummary & Partial<LengthControlledResult>,
): SeedResult {
  const f = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    seed,
    step,
    win_rate: m.win_rate,
    standard_error: f(m.standard_error),
    discrete_win_rate: m.discrete_win_rate,
    n_total: m.n_total,
    avg_length: m.avg_length,
    ...(m.length_controlled_winrate === undefined
      ? {}
      : {
          length_controlled_winrate: m.length_controlled_winrate,
          lc_standard_error: f(m.lc_standard_error ?? Number.NaN),
        }),
  };
}

const num = (x: number | null, digits: number) => (x === null || !Number.isFinite(x) ? "–" : x.toFixed(digits));

/** The paper's table shape: win rate against the reference, mean ± std over seeds. */
export function resultsMarkdown(t: ResultsTable): string {
  const lc = hasLengthControlled(t);
  const head =
    `| Arm | Type | Win rate vs ${t.reference} (%) | SE |${lc ? " LC win rate (%) | LC SE |" : ""} Avg length (chars) | Seeds |\n` +
    `| --- | --- | --- | --- |${lc ? " --- | --- |" : ""} --- | --- |`;
  const rate = (r: ArmRow, m: number | null | undefined, s: number | null | undefined) =>
    r.reference
      ? "(reference)"
      : m === null || m === undefined
        ? "–"
        : `${num(m, 1)}${s === null || s === undefined ? "" : ` ± ${num(s, 2)}`}`;
  const rows = t.rows.map((r) => {
    const missing = r.missing.length ? ` (${r.missing.length} missing)` : "";
    const lcCells = lc
      ? ` ${rate(r, r.lc_win_rate_mean, r.lc_win_rate_std)} | ${num(r.lc_standard_error_mean ?? null, 2)} |`
      : "";
    return `| ${r.arm} | ${r.kind} | ${rate(r, r.win_rate_mean, r.win_rate_std)} | ${num(r.standard_error_mean, 2)} |${lcCells} ${num(r.avg_length_mean, 0)} | ${r.seeds.length}${missing} |`;
  });
  const lcNote = lc
    ? " LC: AlpacaEval 2's length-controlled win rate (its GLM, as its `get_length_controlled_winrate`), same statistics."
    : "";
  const note = `\nMean ± sample std over seeds of the win rate against \`${t.reference}\` of the same seed; SE: mean of AlpacaEval's standard error; judge \`${t.judge}\`${t.both_orders ? ", both orders averaged" : ""}.${lcNote}\n`;
  return [`## ${t.experiment}`, "", head, ...rows, note].join("\n");
}

export function resultsCsv(t: ResultsTable): string {
  const base = [
    "arm",
    "kind",
    "reference",
    "seeds",
    "win_rate_mean",
    "win_rate_std",
    "standard_error_mean",
    "discrete_win_rate_mean",
    "avg_length_mean",
  ] as const;
  const lc = ["lc_win_rate_mean", "lc_win_rate_std", "lc_standard_error_mean"] as const;
  const cols: (keyof ArmRow)[] = hasLengthControlled(t) ? [...base, ...lc] : [...base];
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? "" : Array.isArray(v) ? v.join(" ") : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(","), ...t.rows.map((r) => cols.map((c) => cell(r[c])).join(","))].join("\n") + "\n";
}
