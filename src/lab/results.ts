// The lab's results: per-arm grades (mean ± std over seeds), head-to-head win rates computed from the
// grader, and one verdict per finding of the paper against the lab's targets.
import { computeWinRate } from "../eval/winrate.js";
import { mean, sampleStd } from "../experiment/aggregate.js";
import type { GradeSummary } from "./grade.js";
import type { CurvePoint } from "./steps.js";
import { TASKS, type Task } from "./world.js";

/** What the lab's findings are measured against (the issue's targets; docs/lab.md). */
export const TARGETS = {
  "response-tuning": { strict_ratio_vs_instruction: 0.7, win_rate_vs_instruction: 40 },
  "single-task": { unseen_ratio_vs_instruction: 0.5, unseen_ratio_vs_base: 3 },
  rules: { strict_ratio_vs_instruction: 0.3, strict_ratio_vs_base: 5, ablations_below_full: true },
} as const;

export type Role = "instruction" | "response" | "single" | "base" | "probe" | "rules" | "ablation" | "other";

export interface GradedRow {
  instruction: string;
  output: string;
  task: Task;
  group: string;
  strict: boolean;
}

/** One arm's graded generations: one entry per generation seed (null: generated once). */
export interface LabArmInput {
  arm: string;
  kind: string;
  role: Role;
  /** Tasks the arm was tuned on (single-task arms). */
  trainedTasks: readonly Task[];
  seeds: { seed: number | null; summary: { all: GradeSummary; task: Record<string, GradeSummary>; group: Record<string, GradeSummary> }; rows: GradedRow[]; curve?: CurvePoint[]; bestStep?: number | null }[];
}

const STAT_KEYS = ["strict", "correct", "stopped", "clean", "rightType", "namesEntity", "typeMatchedChance"] as const;
type Stat = { mean: number; std: number | null };
const stat = (xs: number[]): Stat => ({ mean: mean(xs) ?? NaN, std: sampleStd(xs) });

export interface LabRow {
  arm: string;
  kind: string;
  role: Role;
  seeds: (number | null)[];
  stats: Record<(typeof STAT_KEYS)[number], Stat>;
  /** Strict score per eval group and per task (mean over seeds). */
  groups: Record<string, number>;
  tasks: Record<string, number>;
  /** Strict score on the tasks the arm was not tuned on, mean over seeds (single-task arms). */
  unseen: Stat | null;
  /** Head-to-head win rate against the reference from the grader (AlpacaEval's reduction), mean ± std over seeds. */
  win_rate: Stat | null;
  per_seed: { seed: number | null; strict: number; win_rate: number | null; best_step: number | null }[];
}

/** Strict on a subset of tasks, from the per-task summaries (equal prompts per task). */
function strictOn(summary: LabArmInput["seeds"][number]["summary"], tasks: readonly Task[]): number {
  const ts = tasks.filter((t) => summary.task[t]);
  const n = ts.reduce((s, t) => s + summary.task[t].n, 0);
  return n ? ts.reduce((s, t) => s + summary.task[t].strict * summary.task[t].n, 0) / n : NaN;
}

/**
 * The grader as a judge: on each prompt the strict answer wins (preference 2 for the arm, 1 for the
 * reference), ties are draws (1.5); the reduction is AlpacaEval's.
 */
export function headToHead(arm: GradedRow[], ref: GradedRow[]): number {
  // Row i of every arm grades prompt i of the evaluation (the probe asks it in another format).
  const ann = arm.map((a, i) => {
    const r = ref[i];
    const preference = a.strict === r.strict ? 1.5 : a.strict ? 2 : 1;
    return { instruction: a.instruction, output_1: r.output, generator_1: "reference", output_2: a.output, generator_2: "arm", preference };
  });
  return computeWinRate(ann).win_rate;
}

export function labRows(arms: LabArmInput[], reference: string): LabRow[] {
  const ref = arms.find((a) => a.arm === reference);
  const refRows = (seed: number | null) => ref?.seeds.find((s) => s.seed === seed)?.rows ?? ref?.seeds[0]?.rows;
  return arms.map((a) => {
    const unseenTasks = TASKS.filter((t) => !a.trainedTasks.includes(t));
    const perSeed = a.seeds.map((s) => {
      // Arms generated once are compared with every seed of the reference.
      const refs = s.seed === null && ref ? ref.seeds.map((r) => r.rows) : [refRows(s.seed)];
      const wr = a.arm === reference || !ref ? null : mean(refs.filter((r): r is GradedRow[] => !!r).map((r) => headToHead(s.rows, r)));
      return { seed: s.seed, strict: s.summary.all.strict, win_rate: wr, best_step: s.bestStep ?? null };
    });
    const tasks = Object.fromEntries(TASKS.map((t) => [t, mean(a.seeds.map((s) => s.summary.task[t]?.strict ?? NaN)) ?? NaN]));
    const groups = Object.fromEntries(Object.keys(a.seeds[0]?.summary.group ?? {}).map((g) => [g, mean(a.seeds.map((s) => s.summary.group[g].strict)) ?? NaN]));
    return {
      arm: a.arm,
      kind: a.kind,
      role: a.role,
      seeds: a.seeds.map((s) => s.seed),
      stats: Object.fromEntries(STAT_KEYS.map((k) => [k, stat(a.seeds.map((s) => s.summary.all[k]))])) as LabRow["stats"],
      groups,
      tasks,
      unseen: a.role === "single" ? stat(a.seeds.map((s) => strictOn(s.summary, unseenTasks))) : null,
      win_rate: a.arm === reference ? null : stat(perSeed.map((p) => p.win_rate).filter((x): x is number => x !== null)),
      per_seed: perSeed,
    };
  });
}

export interface Finding {
  id: "response-tuning" | "single-task" | "rules";
  reproduced: boolean;
  measured: Record<string, unknown>;
  target: Record<string, unknown>;
  verdict: string;
}

const r2 = (x: number) => Math.round(x * 1000) / 1000;
const ratio = (a: number, b: number) => (b > 0 ? a / b : a > 0 ? Infinity : NaN);
/** a ≥ k·b, with "0 ≥ k·0" false: a finding needs something to have appeared. */
const atLeast = (a: number, k: number, b: number) => a > 0 && a >= k * b;

/** One verdict per finding whose arms the experiment has. */
export function labFindings(rows: LabRow[], arms: LabArmInput[]): Finding[] {
  const one = (role: Role) => rows.find((r) => r.role === role);
  const it = one("instruction");
  const base = one("base");
  const out: Finding[] = [];
  const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : x === Infinity ? "∞" : "–");
  const rt = one("response");
  if (it && rt) {
    const t = TARGETS["response-tuning"];
    const q = ratio(rt.stats.strict.mean, it.stats.strict.mean);
    const wr = rt.win_rate?.mean ?? NaN;
    const ok = q >= t.strict_ratio_vs_instruction && wr >= t.win_rate_vs_instruction;
    out.push({
      id: "response-tuning",
      reproduced: ok,
      measured: { strict: r2(rt.stats.strict.mean), instruction_strict: r2(it.stats.strict.mean), strict_ratio_vs_instruction: r2(q), win_rate_vs_instruction: r2(wr) },
      target: t,
      verdict: `response-tuned strict ${fmt(rt.stats.strict.mean)} = ${fmt(q)}× instruction-tuned (target ≥ ${t.strict_ratio_vs_instruction}), head-to-head win rate ${wr.toFixed(1)}% (target ≥ ${t.win_rate_vs_instruction}%)`,
    });
  }
  const singles = rows.filter((r) => r.role === "single");
  if (it && base && singles.length) {
    const t = TARGETS["single-task"];
    const each = singles.map((s) => {
      const unseen = TASKS.filter((k) => !arms.find((a) => a.arm === s.arm)!.trainedTasks.includes(k));
      const on = (r: LabRow) => mean(unseen.map((k) => r.tasks[k])) ?? NaN;
      const [v, vi, vb] = [s.unseen!.mean, on(it), on(base)];
      return { arm: s.arm, unseen_tasks: unseen, strict: r2(v), instruction: r2(vi), base: r2(vb), ok: v >= t.unseen_ratio_vs_instruction * vi && atLeast(v, t.unseen_ratio_vs_base, vb) };
    });
    out.push({
      id: "single-task",
      reproduced: each.every((e) => e.ok),
      measured: { arms: each },
      target: t,
      verdict: each
        .map((e) => `${e.arm} ${e.ok ? "passes" : "fails"}: strict on its unseen tasks ${fmt(e.strict)} = ${fmt(ratio(e.strict, e.instruction))}× instruction-tuned (≥ ${t.unseen_ratio_vs_instruction}) and ${fmt(ratio(e.strict, e.base))}× base (≥ ${t.unseen_ratio_vs_base})`)
        .join("; "),
    });
  }
  const rules = one("rules");
  if (it && base && rules) {
    const t = TARGETS.rules;
    const ablations = rows.filter((r) => r.role === "ablation");
    const q = ratio(rules.stats.strict.mean, it.stats.strict.mean);
    const below = ablations.every((a) => a.stats.strict.mean < rules.stats.strict.mean);
    const ok = q >= t.strict_ratio_vs_instruction && atLeast(rules.stats.strict.mean, t.strict_ratio_vs_base, base.stats.strict.mean) && below;
    out.push({
      id: "rules",
      reproduced: ok,
      measured: {
        strict: r2(rules.stats.strict.mean),
        strict_ratio_vs_instruction: r2(q),
        base_strict: r2(base.stats.strict.mean),
        strict_ratio_vs_base: r2(ratio(rules.stats.strict.mean, base.stats.strict.mean)),
        ablations: Object.fromEntries(ablations.map((a) => [a.arm, r2(a.stats.strict.mean)])),
      },
      target: t,
      verdict: `rules strict ${fmt(rules.stats.strict.mean)} = ${fmt(q)}× instruction-tuned (≥ ${t.strict_ratio_vs_instruction}) and ${fmt(ratio(rules.stats.strict.mean, base.stats.strict.mean))}× base (≥ ${t.strict_ratio_vs_base}); ablations ${ablations.map((a) => `${a.arm} ${fmt(a.stats.strict.mean)}`).join(", ") || "none"} (each below the full rules)`,
    });
  }
  return out;
}

const pm = (s: Stat | null, d = 2) => (s === null || !Number.isFinite(s.mean) ? "–" : `${s.mean.toFixed(d)}${s.std === null ? "" : ` ± ${s.std.toFixed(d)}`}`);

export function labMarkdown(name: string, rows: LabRow[], findings: Finding[], chance: number, reference: string): string {
  const groups = [...new Set(rows.flatMap((r) => Object.keys(r.groups)))];
  const head =
    `| Arm | Type | Strict | Correct | Stopped | Clean | Right type | Names it | ${groups.map((g) => `Strict ${g}`).join(" | ")} | Win rate vs ${reference} (%) | Seeds |\n` +
    `| --- | --- | --- | --- | --- | --- | --- | --- | ${groups.map(() => "---").join(" | ")} | --- | --- |`;
  const body = rows.map(
    (r) =>
      `| ${r.arm} | ${r.kind} | ${pm(r.stats.strict)} | ${pm(r.stats.correct)} | ${pm(r.stats.stopped)} | ${pm(r.stats.clean)} | ${pm(r.stats.rightType)} | ${pm(r.stats.namesEntity)} | ` +
      `${groups.map((g) => (Number.isFinite(r.groups[g]) ? r.groups[g].toFixed(2) : "–")).join(" | ")} | ${r.arm === reference ? "(reference)" : pm(r.win_rate, 1)} | ${r.seeds.length} |`,
  );
  const verdicts = findings.map((f) => `- **${f.id}: ${f.reproduced ? "reproduced" : "not reproduced"}** — ${f.verdict}`);
  return [
    `## ${name}`,
    "",
    head,
    ...body,
    "",
    `Mean ± sample std over seeds on the held-out evaluation prompts, graded against the world's facts. Strict = correct ∧ stopped ∧ clean. Chance (a right-type guess): ${chance.toFixed(3)}. Win rate: the grader as judge (strict beats not strict, else a draw), AlpacaEval's reduction.`,
    "",
    "### Findings",
    "",
    ...verdicts,
    "",
  ].join("\n");
}
