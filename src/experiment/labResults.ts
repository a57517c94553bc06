// Gathers a lab experiment's graded steps into the lab's table, curves and findings.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ExperimentError } from "../errors.js";
import { LAB_FITTED_RULES, SOURCE_TASKS, type LabSource } from "../lab/files.js";
import { labChecks, type LabCheck } from "../lab/checks.js";
import {
  labFindings,
  labRows,
  type Finding,
  type GradedRow,
  type LabArmInput,
  type LabRow,
  type Role,
} from "../lab/results.js";
import type { CurvePoint } from "../lab/steps.js";
import { TASKS } from "../lab/world.js";
import type { Arm, ExperimentConfig } from "./config.js";
import { FIT_STEP } from "./labSteps.js";
import type { Step } from "./types.js";
import { loadRules } from "../rules/loadRules.js";
import { unusedOf } from "../lab/ruleUse.js";
import type { StepManifest } from "./store.js";

export interface LabResults {
  rows: LabRow[];
  /** Mean chance of a right-type guess on the evaluation prompts. */
  chance: number;
  /** Learning curves of tuned arms, per seed: dev and eval scores of every graded snapshot. */
  curves: Record<string, { seed: number; best_epochs: number | null; points: CurvePoint[] }[]>;
  /** A few evaluation prompts with every arm's first-seed output, for the report. */
  samples: { instruction: string; task: string; outputs: Record<string, { output: string; strict: boolean }> }[];
  /** The recipe's own targets (reference strength, plateau): src/lab/checks.ts. */
  checks: LabCheck[];
}

/**
 * `fitted`: the config has `rules:lab:fitted` arms; then the rules finding is tested on them, and other
 * rule files (the world-1 file transferred, the hand-written one) are reported beside it.
 */
export function armRole(a: Arm, reference: string, fitted = false): Role {
  if (a.kind === "instruction-tuned" && a.name === reference) return "instruction";
  if (a.kind === "response-tuned") return "response";
  if (a.kind === "single-task") return "single";
  if (a.kind === "base") return a.instructions ? "probe" : "base";
  if (a.kind === "rules" && fitted && a.arg !== LAB_FITTED_RULES) return "other";
  if (a.kind === "rules") return a.disable.length ? "ablation" : "rules";
  return "other";
}

export async function labResults(
  config: ExperimentConfig,
  steps: Step[],
  manifest: (s: Step) => StepManifest | null,
): Promise<{ lab: LabResults; findings: Finding[] }> {
  const inputs: LabArmInput[] = [];
  const curves: LabResults["curves"] = {};
  let chance = NaN;
  const fitted = config.arms.some((a) => a.arg === LAB_FITTED_RULES);
  const fit = steps.find((s) => s.id === FIT_STEP);
  const fitManifest = fit ? manifest(fit) : null;
  /** The full rule file of a rule arm (the fit step's output for fitted arms), when it can be read. */
  const ruleFile = (a: Arm) =>
    a.arg === LAB_FITTED_RULES
      ? fitManifest && fit
        ? loadRules(join(fit.dir, fitManifest.outputs.rules))
        : null
      : loadRules(a.arg!);
  for (const arm of config.arms) {
    const seeds: LabArmInput["seeds"] = [];
    for (const g of steps.filter((s) => s.kind === "grade" && s.arm === arm.name)) {
      const m = manifest(g);
      if (!m) continue;
      const text = await readFile(join(g.dir, m.outputs.grades), "utf8");
      const rows = text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as GradedRow);
      const summary = m.result.summary as LabArmInput["seeds"][number]["summary"];
      if (arm.kind === "instruction-tuned") chance = summary.all.chance;
      const train = steps.find((s) => s.kind === "train" && s.arm === arm.name && s.seed === g.seed);
      const tm = train ? manifest(train) : null;
      const curve = tm?.result.curve as CurvePoint[] | undefined;
      if (curve && g.seed !== null) {
        curves[arm.name] ??= [];
        curves[arm.name].push({
          seed: g.seed,
          best_epochs: (tm!.result.best_epochs as number | null) ?? null,
          points: curve,
        });
      }
      seeds.push({
        seed: g.seed,
        summary,
        rows,
        curve,
        bestEpochs: (tm?.result.best_epochs as number | null | undefined) ?? null,
      });
    }
    const source = arm.data?.path.startsWith("lab:") ? (arm.data.path.slice(4) as LabSource) : null;
    const role = armRole(arm, config.evaluation.reference, fitted);
    const full = role === "ablation" && seeds.length ? ruleFile(arm) : null;
    const unused = full ? unusedOf(full, arm.disable) : [];
    inputs.push({
      arm: arm.name,
      kind: arm.kind,
      role,
      trainedTasks: (source && SOURCE_TASKS[source]) || [],
      seeds,
      ...(unused.length === arm.disable.length && unused.length ? { unusedRules: unused } : {}),
    });
  }
  if (!inputs.some((a) => a.seeds.length))
    throw new ExperimentError("EXPERIMENT_UPSTREAM_MISSING", "no grade step has finished");
  const rows = labRows(inputs, config.evaluation.reference);
  const findings = labFindings(rows, inputs);
  if (!Number.isFinite(chance)) chance = inputs.find((a) => a.seeds.length)!.seeds[0].summary.all.chance;
  return { lab: { rows, chance, curves, samples: samples(inputs), checks: labChecks(rows, inputs) }, findings };
}

/** Two prompts of every task, each with every arm's output (first seed). */
function samples(inputs: LabArmInput[]): LabResults["samples"] {
  const first = inputs.find((a) => a.seeds.length && a.role !== "probe");
  if (!first) return [];
  const picks = TASKS.flatMap((t) => first.seeds[0].rows.filter((r) => r.task === t).slice(0, 2));
  return picks.map((p, i) => ({
    instruction: p.instruction,
    task: p.task,
    outputs: Object.fromEntries(
      inputs
        .filter((a) => a.seeds.length)
        .map((a) => {
          const idx = first.seeds[0].rows.indexOf(p);
          const row = a.seeds[0].rows[idx] ?? a.seeds[0].rows[i];
          return [a.arm, { output: row.output, strict: row.strict }];
        }),
    ),
  }));
}
