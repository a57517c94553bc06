// What each kind of step does. Each writes only inside its own directory; the runner marks it done.
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { checkpointDir } from "../training/checkpoint.js";
import { join } from "node:path";
import { convertDataset } from "../data/convert/index.js";
import { AbortError, ExperimentError, TrainingError } from "../errors.js";
import { analyzeSimilarity } from "../eval/analyses/similarity.js";
import { openJudge } from "../eval/judge/index.js";
import type { JudgeBackend } from "../eval/judge/backend.js";
import { runJudge } from "../eval/judge/runJudge.js";
import { defaultTemplate, loadTemplate, type JudgeTemplate } from "../eval/judge/template.js";
import { generateFile } from "../generation/generateFile.js";
import { readPrompts } from "../generation/inputs.js";
import type { GenerateOptions } from "../model/generationTypes.js";
import { loadModel, type Model } from "../model/Model.js";
import type { LoraSpec } from "../model/options.js";
import type { RuleSpec } from "../rules/spec.js";
import type { TrainOptions, TrainProgress } from "../training/types.js";
import type { Arm, ExperimentConfig } from "./config.js";
import { trainingRecipe, trainMode, trainsLora, type Resolved } from "./plan.js";
import { registerStepKinds, sourcePath, stepKindSets } from "./stepKinds.js";
import type { Step, StepContext, StepOutcome, TrainSnapshots } from "./types.js";
import { writeTextAtomic } from "../util/atomicWrite.js";
import { loadRules } from "../rules/loadRules.js";
import type { RuleName } from "../rules/spec.js";

/** A train step's snapshot handling from the first registered set that has one for it (e.g. the lab's grading). */
async function trainSnapshots(step: Step, arm: Arm, ctx: StepContext, lora: boolean): Promise<TrainSnapshots | null> {
  for (const set of stepKindSets()) {
    const snapshots = (await set.trainSnapshots?.(step, arm, ctx, lora)) ?? null;
    if (snapshots) return snapshots;
  }
  return null;
}

/** The rules a generation applies: its own spec, or the fit step's file with the arm's rules switched off. */
function stepRules(step: Step, ctx: StepContext): RuleSpec | undefined {
  const r = step.slice.rules as RuleSpec | { fitted: string; disable: RuleName[] } | undefined;
  if (!r || !("fitted" in r)) return r;
  const fit = ctx.upstream(step.deps.rules);
  return loadRules(join(fit.dir, fit.outputs.rules), r.disable);
}

export async function runConvert(step: Step, arm: Arm, ctx: StepContext): Promise<StepOutcome> {
  const d = arm.data!;
  const out = join(step.dir, "data.jsonl");
  const r = await convertDataset({
    format: d.format,
    input: sourcePath(d.path, ctx),
    output: out,
    limit: d.maxExamples,
    dropInstructions: d.dropInstructions,
    signal: ctx.signal,
  });
  return {
    outputs: { data: "data.jsonl" },
    result: { examples: r.examples, limit: r.limit, dropInstructions: r.dropInstructions, notes: r.notes },
  };
}

export async function runTrain(step: Step, arm: Arm, ctx: StepContext): Promise<StepOutcome> {
  const data = ctx.upstream(step.deps.data);
  const lora = trainsLora(arm);
  const file = lora ? "adapter.gguf" : "model.gguf";
  const t = trainingRecipe(arm.training); // the settings the step was hashed with (budgets: the largest)
  const opts: TrainOptions = {
    model: ctx.config.baseModel,
    data: join(data.dir, data.outputs.data),
    mode: trainMode(arm),
    output: join(step.dir, file),
    seed: step.seed ?? 1,
    resume: true,
    ...(ctx.config.threads === undefined ? {} : { threads: ctx.config.threads }),
    ...(t.epochs === undefined ? {} : { epochs: t.epochs }),
    ...(t.lr === undefined ? {} : { lr: t.lr }),
    ...(t.lrSchedule === undefined ? {} : { lrSchedule: t.lrSchedule }),
    ...(t.warmupRatio === undefined ? {} : { warmupRatio: t.warmupRatio }),
    ...(t.batchSize === undefined ? {} : { batchSize: t.batchSize }),
    ...(t.weightDecay === undefined ? {} : { weightDecay: t.weightDecay }),
    ...(t.lossReduction === undefined ? {} : { lossReduction: t.lossReduction }),
    ...(t.maxGradNorm === undefined ? {} : { maxGradNorm: t.maxGradNorm }),
    ...(t.valFraction === undefined ? {} : { valFraction: t.valFraction }),
    ...(t.nCtx === undefined ? {} : { nCtx: t.nCtx }),
    ...(t.pack === undefined ? {} : { pack: t.pack }),
    ...(t.loraRank === undefined ? {} : { loraRank: t.loraRank }),
    ...(t.loraAlpha === undefined ? {} : { loraAlpha: t.loraAlpha }),
    ...(t.loraTargets === undefined ? {} : { loraTargets: t.loraTargets }),
    signal: ctx.signal,
    onProgress: (p: TrainProgress) => ctx.onProgress?.(p.step, p.steps, "steps"),
  };
  const snapshots = await trainSnapshots(step, arm, ctx, lora);
  if (snapshots) {
    // What the snapshots gather lives in memory, not in the trainer's checkpoint: an interrupted arm starts over.
    await rm(checkpointDir(opts.output), { recursive: true, force: true });
    Object.assign(opts, { snapshotEpochs: snapshots.snapshotEpochs, onSnapshot: snapshots.onSnapshot, resume: false });
  }
  const r = await ctx.train(opts);
  if (ctx.signal?.aborted) throw new AbortError();
  if (snapshots) await snapshots.finish(opts.output);
  if (!existsSync(opts.output)) {
    throw new TrainingError("TRAIN_NO_OUTPUT", `step ${step.id}: the trainer finished but wrote no ${opts.output}`);
  }
  return {
    outputs: { [lora ? "adapter" : "model"]: file },
    result: { epochs: r.epochs, tokens_per_second: r.tokens_per_second, lora, ...snapshots?.result() },
  };
}

/** The model an arm generates with: base (+ trained or given LoRA), or the trained full model. */
async function armModel(step: Step, arm: Arm, ctx: StepContext): Promise<Model> {
  const c = ctx.config;
  const loras: LoraSpec[] = [];
  let model = c.baseModel;
  if (step.deps.model) {
    const t = ctx.upstream(step.deps.model);
    if (t.outputs.adapter) loras.push({ path: join(t.dir, t.outputs.adapter) });
    else model = join(t.dir, t.outputs.model);
  }
  if (arm.kind === "lora") loras.push({ path: arm.arg!, scale: arm.scale });
  return loadModel({ model, loras, threads: c.threads, gpuLayers: c.gpuLayers });
}

export async function runGenerate(step: Step, arm: Arm, ctx: StepContext): Promise<StepOutcome> {
  const c = ctx.config;
  const g = step.slice.generation as Resolved;
  let input = sourcePath((step.slice.instructions as string | undefined) ?? c.evaluation.instructions, ctx);
  if (c.evaluation.maxInstructions !== undefined) {
    const prompts = (await readPrompts(input)).slice(0, c.evaluation.maxInstructions);
    input = join(step.dir, "instructions.jsonl");
    await writeTextAtomic(input, prompts.map((p) => JSON.stringify(p)).join("\n") + "\n");
  }
  const rules = stepRules(step, ctx);
  await using model = await armModel(step, arm, ctx);
  const experts: { model: Model; weight: number }[] = [];
  try {
    if (arm.kind === "expert")
      experts.push({
        model: await loadModel({ model: arm.arg!, threads: c.threads, gpuLayers: c.gpuLayers }),
        weight: arm.weight,
      });
    const sampling: GenerateOptions = {
      template: g.template,
      maxTokens: g.maxTokens,
      temperature: g.temperature,
      topK: g.topK,
      topP: g.topP,
      minP: g.minP,
      seed: g.seed,
      stop: g.stop,
      parallel: g.parallel,
      ...(g.contextSize === null ? {} : { contextSize: g.contextSize }),
      ...(rules ? { rules } : {}),
      experts,
    };
    const generator = step.seed === null ? arm.name : `${arm.name}-s${step.seed}`;
    const s = await generateFile(model, {
      ...sampling,
      input,
      output: join(step.dir, "outputs.json"),
      generator,
      config: {
        arm: arm.name,
        kind: arm.kind,
        model: model.path,
        loras: model.loras,
        ...sampling,
        rules: sampling.rules ?? null,
        experts: experts.map((e) => ({ model: e.model.path, weight: e.weight })),
      },
      signal: ctx.signal,
      onProgress: (done, total) => ctx.onProgress?.(done, total, "prompts"),
    });
    if (s.aborted) throw new AbortError();
    return {
      outputs: { outputs: "outputs.json" },
      result: { generator, total: s.total, tokens: s.tokens, seconds: s.seconds },
    };
  } finally {
    for (const e of experts) await e.model.dispose();
  }
}

export async function runJudgeStep(step: Step, _arm: Arm, ctx: StepContext): Promise<StepOutcome> {
  const c = ctx.config;
  const out = ctx.upstream(step.deps.outputs);
  const ref = ctx.upstream(step.deps.reference);
  const judge = await ctx.judge();
  const { summary } = await runJudge({
    judge,
    template: await experimentJudgeTemplate(c),
    outputs: join(out.dir, out.outputs.outputs),
    reference: join(ref.dir, ref.outputs.outputs),
    output: join(step.dir, "annotations.json"),
    cache: join(step.dir, "judge-cache.jsonl"),
    bothOrders: c.evaluation.bothOrders,
    seed: c.evaluation.judgeSeed,
    signal: ctx.signal,
    onProgress: (done, total) => ctx.onProgress?.(done, total, "pairs"),
  });
  if (summary.aborted) throw new AbortError();
  const { metrics } = summary;
  return {
    outputs: { annotations: "annotations.json" },
    result: {
      metrics,
      pairs: summary.pairs,
      missing: summary.missing,
      identical: summary.identical,
      judge_calls: summary.judge_calls,
      judge: summary.judge,
    },
  };
}

/** Paper Fig. 5 for one tuned arm: its outputs against its own training data and the general data. */
export async function runSimilarity(step: Step, _arm: Arm, ctx: StepContext): Promise<StepOutcome> {
  const sim = ctx.config.analyses.similarity!;
  const out = ctx.upstream(step.deps.outputs);
  const data = ctx.upstream(step.deps.data);
  await using embedder = await loadModel({
    model: sim.embedder,
    threads: ctx.config.threads,
    gpuLayers: ctx.config.gpuLayers,
  });
  const r = await analyzeSimilarity(embedder, {
    outputs: join(out.dir, out.outputs.outputs),
    taskData: join(data.dir, data.outputs.data),
    generalData: sim.generalData,
    maxExamples: sim.maxExamples,
    contextSize: sim.contextSize,
    signal: ctx.signal,
  });
  await writeTextAtomic(join(step.dir, "similarity.json"), JSON.stringify(r, null, 2) + "\n");
  return { outputs: { similarity: "similarity.json" }, result: { points: r.points.length, pearson_r: r.pearson_r } };
}

/** The evaluation's judge prompt: its file (e.g. AlpacaEval's), or our default. */
export function experimentJudgeTemplate(config: ExperimentConfig): Promise<JudgeTemplate> {
  const t = config.evaluation.judgeTemplate;
  return t ? loadTemplate(t) : Promise.resolve(defaultTemplate());
}

/** Opens the evaluation's judge (local GGUF or HTTP). */
export function openExperimentJudge(config: ExperimentConfig): Promise<JudgeBackend> {
  const ev = config.evaluation;
  if (!ev.judge) throw new ExperimentError("EXPERIMENT_NO_JUDGE", "this experiment has no judge (evaluation.judge)");
  return openJudge(ev.judge, {
    judgeModel: ev.judgeModel,
    keyEnv: ev.judgeKeyEnv,
    http: {
      ...(ev.judgeConcurrency ? { concurrency: ev.judgeConcurrency } : {}),
      ...(ev.judgeTemperature === undefined ? {} : { temperature: ev.judgeTemperature }),
    },
    load: { threads: config.threads, gpuLayers: config.gpuLayers },
    local: {
      ...(ev.judgeFormat ? { format: ev.judgeFormat } : {}),
      ...(ev.judgeContextSize ? { contextSize: ev.judgeContextSize } : {}),
    },
  });
}

/** The runner's own step kinds (the aggregate step is the scheduler's: stepRunner.ts). */
registerStepKinds({
  name: "runner",
  run: {
    convert: (s, ctx, arm) => runConvert(s, arm!, ctx),
    train: (s, ctx, arm) => runTrain(s, arm!, ctx),
    generate: (s, ctx, arm) => runGenerate(s, arm!, ctx),
    judge: (s, ctx, arm) => runJudgeStep(s, arm!, ctx),
    similarity: (s, ctx, arm) => runSimilarity(s, arm!, ctx),
  },
});
