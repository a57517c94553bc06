// The lab's results as markdown: the table, head-to-head pairs, findings and the recipe's own targets.
import { ceilTo, floorTo, type Interval } from "../util/stats.js";
import { fix } from "./criteria.js";
import type { Finding, LabRow, Stat } from "./results.js";

const meanStd = (s: Stat | null, d = 2) =>
  s === null || !Number.isFinite(s.mean)
    ? "–"
    : `${s.mean.toFixed(d)}${s.std === null ? "" : ` ± ${s.std.toFixed(d)}`}`;

/** Wins / ties / losses against the reference, summed over seed pairs. */
export const wtl = (r: LabRow) =>
  r.head_to_head ? `${r.head_to_head.wins} / ${r.head_to_head.ties} / ${r.head_to_head.losses}` : "–";
/** An interval as printed: lower bound rounded down, upper bound up. */
export const intervalText = (interval: Interval, d = 2) =>
  Number.isFinite(interval.lo) ? `${fix(floorTo(interval.lo, d), d)}–${fix(ceilTo(interval.hi, d), d)}` : "–";

export function labMarkdown(
  name: string,
  rows: LabRow[],
  findings: Finding[],
  chance: number,
  reference: string,
  checks: readonly { id: string; pass: boolean; text: string }[] = [],
): string {
  const groups = [...new Set(rows.flatMap((r) => Object.keys(r.groups)))];
  const head =
    `| Arm | Type | Strict | Strict 95% CI | Correct | Stopped | Clean | Right type | Names it | ${groups.map((g) => `Strict ${g}`).join(" | ")} | Win rate vs ${reference} (%) | W / T / L | Seeds |\n` +
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | ${groups.map(() => "---").join(" | ")} | --- | --- | --- |`;
  const body = rows.map(
    (r) =>
      `| ${r.arm} | ${r.kind} | ${meanStd(r.stats.strict)} | ${intervalText(r.strict_ci)} | ${meanStd(r.stats.correct)} | ${meanStd(r.stats.stopped)} | ${meanStd(r.stats.clean)} | ${meanStd(r.stats.rightType)} | ${meanStd(r.stats.namesEntity)} | ` +
      `${groups.map((g) => (Number.isFinite(r.groups[g]) ? r.groups[g].toFixed(2) : "–")).join(" | ")} | ${r.arm === reference ? "(reference)" : meanStd(r.win_rate, 1)} | ${r.arm === reference ? "" : wtl(r)} | ${r.seeds.length} |`,
  );
  const pairs = rows
    .filter((r) => r.head_to_head)
    .map(
      (r) =>
        `| ${r.arm} | ${r.head_to_head!.pairs.map((h) => `s${h.arm_seed ?? "–"}–s${h.reference_seed ?? "–"}: ${h.win_rate.toFixed(1)} ± ${fix(h.standard_error, 1)} (${h.wins}/${h.ties}/${h.losses})`).join("; ")} | ${intervalText(r.head_to_head!.interval, 1)} |`,
    );
  const verdicts = findings.map(
    (f) => `- **${f.id}: ${f.reproduced ? "reproduced" : "not reproduced"}** — ${f.verdict}`,
  );
  return [
    `## ${name}`,
    "",
    head,
    ...body,
    "",
    `Mean ± sample std over seeds on the held-out evaluation prompts, graded against the world's facts. Strict = correct ∧ stopped ∧ clean; its 95% interval is bootstrapped over prompts and seeds (lower bound rounded down, upper up). Chance (a right-type guess): ${chance.toFixed(3)}. Win rate: the grader as judge, which prefers the better grade in the order strict, correct, clean, right type, stopped, names it (a tie only where every grade is equal), reduced as AlpacaEval does; mean ± std over seed pairs; W / T / L: wins, ties, losses summed over the pairs.`,
    "",
    "### Head to head, per seed pair (arm seed – reference seed: win rate ± standard error over prompts, wins/ties/losses)",
    "",
    `| Arm | Pairs | Win rate 95% CI (prompts and pairs) |`,
    `| --- | --- | --- |`,
    ...pairs,
    "",
    "### Findings",
    "",
    ...verdicts,
    "",
    ...(checks.length
      ? [
          "### The recipe's own targets",
          "",
          ...checks.map((c) => `- **${c.id}: ${c.pass ? "met" : "missed"}** — ${c.text}`),
          "",
        ]
      : []),
  ].join("\n");
}
