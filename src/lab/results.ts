// The lab's results: per-arm grades (mean ± std over seeds, and a 95% interval), head-to-head
// preferences from the grader as judge, and one verdict per finding of the paper. Every criterion is
// tested on an interval (bootstrap over prompts and training seeds) or a paired test, never on a mean,
// and every number a verdict compares is the number it prints.
import { bootstrap, mean, ratio, sampleStd, type Interval } from "../util/stats.js";
import type { GradeKey, GradeSummary } from "./grade.js";
import { headToHead, type HeadToHead } from "./judge.js";
import { ablationTest, atLeast, fix, singleTaskMedian, type Criterion } from "./criteria.js";
import type { CurvePoint } from "./steps.js";
import { TASKS, type Task } from "./world.js";

/** What the lab's findings are measured against (the issue's targets; docs/lab.md). */
export const TARGETS = {
  "response-tuning": { strict_ratio_vs_instruction: 0.7, win_rate_vs_instruction: 40 },
  // The paper: single-task tuning yields instruction following "to varying degrees" (its chess arm failed).
  "single-task": { median_ratio_vs_instruction: 0.3, margin_over_base: 0.1, arms_below_margin_allowed: 1 },
  rules: { strict_ratio_vs_instruction: 0.3, strict_margin_over_base: 0.1, ablation_alpha: 0.05 },
} as const;

/** Intervals are 95% percentile bootstraps with these settings: the same grades give the same verdicts. */
export const BOOTSTRAP = { resamples: 2000, seed: 1, level: 0.95 } as const;

export type Role = "instruction" | "response" | "single" | "base" | "probe" | "rules" | "ablation" | "other";

export type GradedRow = { instruction: string; output: string; task: Task; group: string } & Record<GradeKey, boolean>;

type ArmSeed = {
  seed: number | null;
  summary: { all: GradeSummary; task: Record<string, GradeSummary>; group: Record<string, GradeSummary> };
  rows: GradedRow[];
  curve?: CurvePoint[];
  /** The training budget (epochs) the dev prompts chose. */
  bestEpochs?: number | null;
};

/** One arm's graded generations: one entry per generation seed (null: generated once). */
export interface LabArmInput {
  arm: string;
  kind: string;
  role: Role;
  /** Tasks the arm was tuned on (single-task arms). */
  trainedTasks: readonly Task[];
  seeds: ArmSeed[];
  /**
   * An ablation whose every switched-off rule the full rule file does not use (computed from the file,
   * src/lab/ruleUse.ts): those rules. It is the full arm again, so its test is "not applicable".
   */
  unusedRules?: readonly string[];
}

const STAT_KEYS = ["strict", "correct", "stopped", "clean", "rightType", "namesEntity", "typeMatchedChance"] as const;
export type Stat = { mean: number; std: number | null };
const stat = (xs: number[]): Stat => ({ mean: mean(xs) ?? NaN, std: sampleStd(xs) });

export interface LabRow {
  arm: string;
  kind: string;
  role: Role;
  seeds: (number | null)[];
  stats: Record<(typeof STAT_KEYS)[number], Stat>;
  /** 95% interval of strict, bootstrapped over prompts and seeds. */
  strict_ci: Interval;
  /** Strict score per eval group and per task (mean over seeds). */
  groups: Record<string, number>;
  tasks: Record<string, number>;
  /** Strict score on the tasks the arm was not tuned on, mean over seeds (single-task arms). */
  unseen: Stat | null;
  /** Head-to-head win rate against the reference (the grader as judge, AlpacaEval's reduction), mean ± std over seed pairs. */
  win_rate: Stat | null;
  /** Every seed pair's comparison, wins / ties / losses summed over them, and the win rate's 95% interval over prompts and pairs. */
  head_to_head: {
    pairs: Omit<HeadToHead, "scores">[];
    wins: number;
    ties: number;
    losses: number;
    standard_error: number;
    interval: Interval;
  } | null;
  per_seed: { seed: number | null; strict: number; win_rate: number | null; best_epochs: number | null }[];
}

/** Strict on a subset of tasks, from the per-task summaries (equal prompts per task). */
function strictOn(summary: ArmSeed["summary"], tasks: readonly Task[]): number {
  const present = tasks.filter((t) => summary.task[t]);
  const n = present.reduce((s, t) => s + summary.task[t].n, 0);
  return n ? present.reduce((s, t) => s + summary.task[t].strict * summary.task[t].n, 0) / n : NaN;
}

/** Strict per seed and prompt (rows: seeds), on the prompts of `tasks`. */
const strictMatrix = (a: LabArmInput, tasks: readonly Task[] = TASKS) =>
  a.seeds.map((s) => s.rows.filter((r) => tasks.includes(r.task)).map((r) => (r.strict ? 1 : 0)));

/**
 * Seed pairs of an arm against the reference: seed s against the reference's seed s; an arm generated
 * once (seed null) against every reference seed. A seed the reference lacks has no pair.
 */
export function seedPairs(arm: LabArmInput, ref: LabArmInput): [ArmSeed, ArmSeed][] {
  return arm.seeds.flatMap((s) =>
    (s.seed === null ? ref.seeds : ref.seeds.filter((r) => r.seed === s.seed)).map((r): [ArmSeed, ArmSeed] => [s, r]),
  );
}

export function labRows(arms: LabArmInput[], reference: string): LabRow[] {
  const ref = arms.find((a) => a.arm === reference);
  return arms.map((a) => {
    const unseenTasks = TASKS.filter((t) => !a.trainedTasks.includes(t));
    const h2h =
      a.arm === reference || !ref
        ? []
        : seedPairs(a, ref).map(([s, r]) => headToHead(s.rows, r.rows, { arm: s.seed, reference: r.seed }));
    const perSeed = a.seeds.map((s) => ({
      seed: s.seed,
      strict: s.summary.all.strict,
      win_rate: mean(h2h.filter((h) => h.arm_seed === s.seed).map((h) => h.win_rate)),
      best_epochs: s.bestEpochs ?? null,
    }));
    const tasks = Object.fromEntries(
      TASKS.map((t) => [t, mean(a.seeds.map((s) => s.summary.task[t]?.strict ?? NaN)) ?? NaN]),
    );
    const groups = Object.fromEntries(
      Object.keys(a.seeds[0]?.summary.group ?? {}).map((g) => [
        g,
        mean(a.seeds.map((s) => s.summary.group[g].strict)) ?? NaN,
      ]),
    );
    const sum = (k: "wins" | "ties" | "losses") => h2h.reduce((n, h) => n + h[k], 0);
    return {
      arm: a.arm,
      kind: a.kind,
      role: a.role,
      seeds: a.seeds.map((s) => s.seed),
      stats: Object.fromEntries(
        STAT_KEYS.map((k) => [k, stat(a.seeds.map((s) => s.summary.all[k]))]),
      ) as LabRow["stats"],
      strict_ci: a.seeds.length
        ? bootstrap([strictMatrix(a)], (m) => m[0], BOOTSTRAP)
        : { estimate: NaN, lo: NaN, hi: NaN },
      groups,
      tasks,
      unseen: a.role === "single" ? stat(a.seeds.map((s) => strictOn(s.summary, unseenTasks))) : null,
      win_rate: a.arm === reference ? null : stat(h2h.map((h) => h.win_rate)),
      head_to_head: h2h.length
        ? {
            pairs: h2h.map(({ scores: _, ...h }) => h),
            wins: sum("wins"),
            ties: sum("ties"),
            losses: sum("losses"),
            standard_error: mean(h2h.map((h) => h.standard_error)) ?? NaN,
            interval: bootstrap([h2h.map((h) => h.scores.map((x) => 100 * x))], (m) => m[0], BOOTSTRAP),
          }
        : null,
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

const criterion = (c: Criterion) => ({ estimate: c.estimate, lo: c.lo, hi: c.hi, target: c.target, pass: c.pass });

/** One verdict per finding whose arms the experiment has. */
export function labFindings(rows: LabRow[], arms: LabArmInput[]): Finding[] {
  const one = (role: Role) => arms.find((a) => a.role === role && a.seeds.length);
  const row = (a: LabArmInput) => rows.find((r) => r.arm === a.arm)!;
  const instructed = one("instruction");
  const base = one("base");
  const out: Finding[] = [];
  const ratioOf = (a: LabArmInput, b: LabArmInput, tasks?: readonly Task[]) =>
    bootstrap([strictMatrix(a, tasks), strictMatrix(b, tasks)], (m) => ratio(m[0], m[1]), BOOTSTRAP);
  const marginOf = (a: LabArmInput, b: LabArmInput, tasks?: readonly Task[]) =>
    bootstrap([strictMatrix(a, tasks), strictMatrix(b, tasks)], (m) => m[0] - m[1], BOOTSTRAP);
  const responseTuned = one("response");
  if (instructed && responseTuned) {
    const t = TARGETS["response-tuning"];
    const q = atLeast(
      `strict ratio ${responseTuned.arm}/${instructed.arm}`,
      ratioOf(responseTuned, instructed),
      t.strict_ratio_vs_instruction,
      2,
      "×",
    );
    const h = row(responseTuned).head_to_head;
    const winRate = atLeast(
      `win rate vs ${instructed.arm}`,
      h?.interval ?? { estimate: NaN, lo: NaN, hi: NaN },
      t.win_rate_vs_instruction,
      1,
      "%",
    );
    const wtl = h
      ? ` (wins ${h.wins} / ties ${h.ties} / losses ${h.losses} over ${h.pairs.length} seed pairs; SE ${fix(h.standard_error, 1)})`
      : "";
    out.push({
      id: "response-tuning",
      reproduced: q.pass && winRate.pass,
      measured: {
        strict_ratio_vs_instruction: criterion(q),
        win_rate_vs_instruction: criterion(winRate),
        wins: h?.wins ?? null,
        ties: h?.ties ?? null,
        losses: h?.losses ?? null,
      },
      target: t,
      verdict: `${q.text}; ${winRate.text}${wtl}`,
    });
  }
  const singles = arms.filter((a) => a.role === "single" && a.seeds.length);
  if (instructed && base && singles.length) {
    const t = TARGETS["single-task"];
    const each = singles.map((s) => {
      const unseen = TASKS.filter((k) => !s.trainedTasks.includes(k));
      const on = unseen.length === TASKS.length ? "" : " on its unseen tasks";
      const q = atLeast(
        `ratio ${s.arm}/${instructed.arm}${on}`,
        ratioOf(s, instructed, unseen),
        t.median_ratio_vs_instruction,
        2,
        "×",
      );
      const m = atLeast(`${s.arm} − ${base.arm}`, marginOf(s, base, unseen), t.margin_over_base, 2);
      return {
        arm: s.arm,
        unseen_tasks: unseen,
        ratio_vs_instruction: criterion(q),
        margin_over_base: criterion(m),
        text: `${q.text}; ${m.text}`,
      };
    });
    const median = singleTaskMedian(
      each.map((e) => e.ratio_vs_instruction.lo),
      t.median_ratio_vs_instruction,
    );
    const below = each.filter((e) => !e.margin_over_base.pass).map((e) => e.arm);
    const marginOk = below.length <= t.arms_below_margin_allowed;
    out.push({
      id: "single-task",
      reproduced: median.pass && marginOk,
      measured: {
        median_ratio: {
          lo: median.lo,
          target: t.median_ratio_vs_instruction,
          arms_at_target: median.k,
          pass: median.pass,
        },
        margin_over_base: { arms_below: below, allowed: t.arms_below_margin_allowed, pass: marginOk },
        arms: each.map(({ text: _, ...e }) => e),
      },
      target: t,
      verdict:
        `strict, median single-task arm: ${median.text}; ${each.length - below.length} of ${each.length} arms clear the base by ${fix(t.margin_over_base, 2)} (at most ${t.arms_below_margin_allowed} may not${below.length ? `; below: ${below.join(", ")}` : ""}). ` +
        each.map((e) => `${e.arm}: ${e.text}`).join(". "),
    });
  }
  const rules = one("rules");
  if (instructed && base && rules) {
    const t = TARGETS.rules;
    const q = atLeast(
      `strict ratio ${rules.arm}/${instructed.arm}`,
      ratioOf(rules, instructed),
      t.strict_ratio_vs_instruction,
      2,
      "×",
    );
    const m = atLeast(`${rules.arm} − ${base.arm} strict`, marginOf(rules, base), t.strict_margin_over_base, 2);
    const ablations = arms
      .filter((a) => a.role === "ablation" && a.seeds.length)
      .map((a) => ablationTest(a.arm, strictMatrix(a), strictMatrix(rules), t.ablation_alpha, a.unusedRules));
    // An ablation of a rule the file does not use cannot differ: it is left out, but one must be tested.
    const tested = ablations.filter((a) => a.applicable);
    const below = tested.length > 0 && tested.every((a) => a.direction === "below");
    out.push({
      id: "rules",
      reproduced: q.pass && m.pass && below,
      measured: {
        strict_ratio_vs_instruction: criterion(q),
        strict_margin_over_base: criterion(m),
        ablations: ablations.map(({ text: _, ...a }) => a),
      },
      target: t,
      verdict: `${q.text}; ${m.text}; ablations: ${ablations.map((a) => a.text).join("; ") || "none"}${ablations.length && !tested.length ? " (none tests a rule the file uses)" : ""}`,
    });
  }
  return out;
}
