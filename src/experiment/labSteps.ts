// The lab's step kinds, registered with the runner (stepKinds.ts): the world step that writes every `lab:`
// source, the rule fit behind `rules:lab:fitted` arms, the grader, and graded training snapshots (learning
// curves and early stopping). Any code that runs a lab config imports this file (src/index.ts, the CLI's
// experiment command, runLab.ts).
import { join } from "node:path";
import { AbortError } from "../errors.js";
import { FIT_DEV_FILE, FITTED_RULES_FILE, runLabFit } from "../lab/fitStep.js";
import { FIT_METHOD_VERSION } from "../rules/fit/fitRules.js";
import { isLabSource, LAB_DATA_VERSION, LAB_FIT_EVALS, LAB_FITTED_RULES, labSourceFile } from "../lab/files.js";
import { LAB_GRADER_VERSION } from "../lab/grade.js";
import { gradeFile, labSnapshotGrader, readLabPrompts, runWorldStep } from "../lab/steps.js";
import { makeWorld } from "../lab/world.js";
import { FIT_PHRASINGS } from "../lab/corpus.js";
import type { TemplateName } from "../model/generationTypes.js";
import type { Arm, ExperimentConfig } from "./config.js";
import type { Resolved } from "./plan.js";
import { registerStepKinds, sourcePath } from "./stepKinds.js";
import type { PlanBuilder, Step, StepContext, StepKindSet, StepOutcome, TrainSnapshots } from "./types.js";

export const WORLD_STEP = "lab/world";
/** Fits the rule file of `rules:lab:fitted` arms on the world's dev prompts (src/lab/fitStep.ts). */
export const FIT_STEP = "lab/fit-rules";

export async function runWorld(step: Step, ctx: StepContext): Promise<StepOutcome> {
  const result = await runWorldStep(step.dir, ctx.config.lab!.world, ctx.config.baseModel);
  return { outputs: { world: "world.json" }, result };
}

export async function runFit(step: Step, ctx: StepContext): Promise<StepOutcome> {
  const s = step.slice as {
    world: number;
    evals: number;
    seed: number;
    generation: { template: TemplateName; maxTokens: number; parallel: number };
  };
  const result = await runLabFit({
    dir: step.dir,
    world: s.world,
    baseModel: ctx.config.baseModel,
    evals: s.evals,
    seed: s.seed,
    generation: s.generation,
    threads: ctx.config.threads,
    signal: ctx.signal,
    onEval: (n, total) => ctx.onProgress?.(n, total, "evaluations"),
  });
  if (ctx.signal?.aborted) throw new AbortError();
  return { outputs: { rules: FITTED_RULES_FILE, dev: FIT_DEV_FILE }, result };
}

/** Lab arms: a snapshot at the end of each budget is graded on the dev and eval prompts; the best by dev is kept. */
async function labSnapshots(step: Step, arm: Arm, ctx: StepContext, lora: boolean) {
  const dir = ctx.upstream(WORLD_STEP).dir;
  const g = step.slice.generation as Resolved;
  const [dev, ev] = await Promise.all([
    readLabPrompts(labSourceFile(dir, "lab:dev")),
    readLabPrompts(labSourceFile(dir, "lab:eval")),
  ]);
  const maxEval = ctx.config.evaluation.maxInstructions;
  // The eval curve is drawn on every fifth evaluation prompt (5 and 7 tasks are coprime: every task,
  // every group); it is recorded, never used to choose. The final evaluation uses every prompt.
  return labSnapshotGrader({
    world: makeWorld({ seed: ctx.config.lab!.world }),
    dev,
    eval: (maxEval === undefined ? ev : ev.slice(0, maxEval)).filter((_, i) => i % 5 === 0),
    baseModel: ctx.config.baseModel,
    lora,
    threads: ctx.config.threads,
    generation: {
      template: g.template,
      maxTokens: g.maxTokens,
      temperature: g.temperature,
      seed: g.seed,
      stop: g.stop,
      parallel: g.parallel,
      ...(g.contextSize === null ? {} : { contextSize: g.contextSize }),
    },
    bestPath: join(step.dir, "best-snapshot.gguf"),
    budgets: arm.training.budgets!,
  });
}

/** The lab arms' snapshot handling: their train step depends on the world step. */
async function labTrainSnapshots(
  step: Step,
  arm: Arm,
  ctx: StepContext,
  lora: boolean,
): Promise<TrainSnapshots | null> {
  if (!step.deps.world) return null;
  const lab = await labSnapshots(step, arm, ctx, lora);
  return {
    snapshotEpochs: arm.training.budgets!,
    onSnapshot: lab.onSnapshot,
    finish: lab.finish,
    result: () => ({ curve: lab.curve, best_epochs: lab.best()?.epochs ?? null }),
  };
}

/** Lab grader: each output graded against the world's facts. */
export async function runGrade(step: Step, ctx: StepContext): Promise<StepOutcome> {
  const out = ctx.upstream(step.deps.outputs);
  const spec = step.slice.instructions as string;
  let prompts = await readLabPrompts(sourcePath(spec, ctx));
  if (ctx.config.evaluation.maxInstructions !== undefined)
    prompts = prompts.slice(0, ctx.config.evaluation.maxInstructions);
  const summary = await gradeFile(
    makeWorld({ seed: ctx.config.lab!.world }),
    prompts,
    join(out.dir, out.outputs.outputs),
    join(step.dir, "grades.jsonl"),
  );
  return { outputs: { grades: "grades.jsonl" }, result: { summary } };
}

/** The world step writes every `lab:` source; steps reading one depend on it instead of a file. */
async function planWorld(plan: PlanBuilder, config: ExperimentConfig): Promise<void> {
  if (config.lab) {
    await plan.add({
      id: WORLD_STEP,
      kind: "world",
      arm: "lab",
      seed: null,
      slice: { world: config.lab.world, data: LAB_DATA_VERSION },
      files: { base: config.baseModel },
      deps: {},
    });
  }
}

/** One fit for every fitted arm (the first one's generation settings); an ablation is that file with a rule off. */
async function planFit(plan: PlanBuilder, config: ExperimentConfig, arm: Arm, gen: Resolved) {
  if (arm.arg !== LAB_FITTED_RULES) return undefined;
  if (!plan.has(FIT_STEP)) {
    await plan.add({
      id: FIT_STEP,
      kind: "fit",
      arm: "lab",
      seed: null,
      slice: {
        world: config.lab!.world,
        evals: config.lab!.fitEvals ?? LAB_FIT_EVALS,
        seed: 1,
        grader: LAB_GRADER_VERSION,
        method: FIT_METHOD_VERSION,
        phrasings: FIT_PHRASINGS,
        generation: { template: gen.template, maxTokens: gen.maxTokens, parallel: gen.parallel },
      },
      files: { base: config.baseModel },
      deps: { world: WORLD_STEP },
    });
  }
  return FIT_STEP;
}

/** Snapshots graded on the lab's dev prompts: their generation settings and the grader choose the model. */
function planGradedTraining(config: ExperimentConfig, arm: Arm, gen: Resolved) {
  const graded = config.lab && arm.training.budgets !== undefined;
  return graded ? { slice: { generation: gen, grader: LAB_GRADER_VERSION }, deps: { world: WORLD_STEP } } : undefined;
}

/** The lab's grader: every generation of every arm, the reference's included; returns their ids. */
async function planGrades(plan: PlanBuilder, config: ExperimentConfig): Promise<string[]> {
  const ev = config.evaluation;
  const grades: string[] = [];
  if (ev.grader === "lab") {
    for (const g of plan.steps.filter((x) => x.kind === "generate")) {
      const arm = config.arms.find((a) => a.name === g.arm)!;
      const gr = await plan.add({
        id: g.id.replace(/generate$/, "grade"),
        kind: "grade",
        arm: g.arm,
        seed: g.seed,
        slice: {
          grader: "lab",
          graderVersion: LAB_GRADER_VERSION,
          instructions: arm.instructions ?? ev.instructions,
          maxInstructions: ev.maxInstructions ?? null,
        },
        files: {},
        deps: { outputs: g.id, world: WORLD_STEP },
      });
      grades.push(gr.id);
    }
  }
  return grades;
}

export const LAB_STEPS: StepKindSet = {
  name: "lab",
  run: { world: (s, ctx) => runWorld(s, ctx), fit: (s, ctx) => runFit(s, ctx), grade: (s, ctx) => runGrade(s, ctx) },
  sources: [{ matches: isLabSource, step: WORLD_STEP, role: "world", file: labSourceFile }],
  planStart: planWorld,
  planRules: planFit,
  planTrain: planGradedTraining,
  planChecks: planGrades,
  trainSnapshots: labTrainSnapshots,
};

registerStepKinds(LAB_STEPS);
