import { join } from "node:path";
import { ExperimentError } from "../errors.js";
import { gamedDataPath, LC_DATA_NAME } from "../eval/glm/gamedData.js";
import { GENERATION_DEFAULTS as D } from "../model/generationDefaults.js";
import { loadRules } from "../rules/loadRules.js";
import type { RuleName } from "../rules/spec.js";
import type { Arm, ExperimentConfig } from "./config.js";
import type { GenerationSettings } from "./configSchema.js";
import { stepKindSets, stepSource } from "./stepKinds.js";
import type { PlanBuilder, Step } from "./types.js";
import { type FileHasher, hashJson } from "../util/hash.js";
import { DEFAULT_LOSS_REDUCTION } from "../training/loss.js";
import { DEFAULT_MAX_GRAD_NORM } from "../training/trainOptions.js";

/** Bump when a step's outputs change meaning: every step hash changes with it. */
const PLAN_VERSION = 1;

/** Generation settings with the engine's defaults filled in, so "omitted" and "default" hash the same. */
export type Resolved = Required<Omit<GenerationSettings, "contextSize">> & { contextSize: number | null };

export function resolvedGeneration(g: GenerationSettings): Resolved {
  return {
    template: g.template ?? D.template,
    maxTokens: g.maxTokens ?? D.maxTokens,
    temperature: g.temperature ?? D.temperature,
    topK: g.topK ?? D.topK,
    topP: g.topP ?? D.topP,
    minP: g.minP ?? D.minP,
    seed: g.seed ?? D.seed,
    stop: g.stop ?? [],
    parallel: g.parallel ?? D.parallel,
    contextSize: g.contextSize ?? null,
  };
}

/** Sampled arms generate once per seed (unless a generation seed is fixed); greedy untrained arms once. */
function generatesPerSeed(arm: Arm): boolean {
  return arm.trained || ((arm.generation.temperature ?? D.temperature) > 0 && arm.generation.seed === undefined);
}

export function trainMode(arm: Arm): "instruction" | "response" {
  return arm.kind === "response-tuned" ? "response" : "instruction";
}

/** Whether a trained arm's train step writes a LoRA adapter (else a full model). */
export function trainsLora(arm: Arm): boolean {
  return arm.training.loraRank !== undefined;
}

/** Training settings with the loss-reduction and clipping defaults filled in: a run trained under other defaults is not reused. */
export function trainingRecipe(t: Arm["training"]): Arm["training"] {
  return {
    ...t,
    ...(t.budgets ? { epochs: t.budgets.at(-1) } : {}),
    lossReduction: t.lossReduction ?? DEFAULT_LOSS_REDUCTION,
    maxGradNorm: t.maxGradNorm ?? DEFAULT_MAX_GRAD_NORM,
  };
}

export const seedPart = (seed: number | null) => (seed === null ? "" : `s${seed}/`);

/** A plan under construction: its steps in order, each hashed over its inputs and its upstream steps' hashes. */
class Plan implements PlanBuilder {
  readonly steps: Step[] = [];
  /** Each arm's generation step, by seed (seed-independent arms ignore it). */
  readonly genId = new Map<string, (seed: number) => string>();
  private readonly byId = new Map<string, Step>();

  constructor(
    private readonly config: ExperimentConfig,
    private readonly hasher: FileHasher,
  ) {}

  has(id: string): boolean {
    return this.byId.has(id);
  }

  async add(s: Omit<Step, "hash" | "dir">): Promise<Step> {
    const files: Record<string, string> = {};
    for (const [k, p] of Object.entries(s.files)) files[k] = await this.hasher.hashSpec(p);
    const deps: Record<string, string> = {};
    for (const [k, id] of Object.entries(s.deps)) deps[k] = this.byId.get(id)!.hash;
    const hash = hashJson({ v: PLAN_VERSION, kind: s.kind, slice: s.slice, files, deps });
    const step: Step = { ...s, hash, dir: join(this.config.output, "steps", `${s.id}-${hash.slice(0, 12)}`) };
    this.steps.push(step);
    this.byId.set(step.id, step);
    return step;
  }
}

/** A source of the config as a step input: a file, or a source that a step writes (e.g. `lab:dev`). */
function source(
  role: string,
  spec: string,
): { files: Record<string, string>; deps: Record<string, string>; slice: Record<string, string> } {
  const written = stepSource(spec);
  return written
    ? { files: {}, deps: { [written.role]: written.step }, slice: { [role]: spec } }
    : { files: { [role]: spec }, deps: {}, slice: {} };
}

/** The step that makes a rules arm's file (a registered kind's, e.g. the lab's fit), planned once. */
async function planRulesStep(plan: Plan, config: ExperimentConfig, arm: Arm, gen: Resolved) {
  for (const set of stepKindSets()) {
    const id = await set.planRules?.(plan, config, arm, gen);
    if (id !== undefined) return id;
  }
  return undefined;
}

/** What registered kinds add to a train step (e.g. the lab's graded snapshots). */
function trainExtras(config: ExperimentConfig, arm: Arm, gen: Resolved) {
  const slice: Record<string, unknown> = {};
  const deps: Record<string, string> = {};
  for (const set of stepKindSets()) {
    const extra = set.planTrain?.(config, arm, gen);
    if (extra) Object.assign(slice, extra.slice), Object.assign(deps, extra.deps);
  }
  return { slice, deps };
}

/** An arm's steps: the rule fit it needs, its data conversion and training per seed, its generations. */
async function planArm(plan: Plan, config: ExperimentConfig, arm: Arm): Promise<void> {
  const ev = config.evaluation;
  const gen = resolvedGeneration(arm.generation);
  const base = { baseModel: config.baseModel, maxInstructions: ev.maxInstructions ?? null };
  const prompts = source("instructions", arm.instructions ?? ev.instructions);
  const genFiles: Record<string, string> = { base: config.baseModel, ...prompts.files };
  const genDeps: Record<string, string> = { ...prompts.deps };
  const genSlice: Record<string, unknown> = { ...base, generation: gen, kind: arm.kind, ...prompts.slice };
  const rulesStep = arm.kind === "rules" ? await planRulesStep(plan, config, arm, gen) : undefined;
  if (rulesStep !== undefined) {
    // The file a step makes; an ablation is that file with a rule off.
    genSlice.rules = { fitted: rulesStep, disable: arm.disable };
    genDeps.rules = rulesStep;
  } else if (arm.kind === "rules") {
    const spec = loadRules(arm.arg!, arm.disable as RuleName[]);
    genSlice.rules = spec;
    if (!/^[A-Za-z0-9_-]+$/.test(arm.arg!)) genFiles.rules = arm.arg!;
  }
  if (arm.kind === "lora") Object.assign(genSlice, { scale: arm.scale }), (genFiles.lora = arm.arg!);
  if (arm.kind === "expert") Object.assign(genSlice, { weight: arm.weight }), (genFiles.expert = arm.arg!);

  if (arm.trained) {
    const d = arm.data!;
    const src = source("source", d.path);
    const convert = await plan.add({
      id: `${arm.name}/convert`,
      kind: "convert",
      arm: arm.name,
      seed: null,
      slice: {
        format: d.format,
        maxExamples: d.maxExamples ?? null,
        dropInstructions: d.dropInstructions,
        ...src.slice,
      },
      files: src.files,
      deps: src.deps,
    });
    const extras = trainExtras(config, arm, gen);
    for (const seed of arm.seeds) {
      const train = await plan.add({
        id: `${arm.name}/s${seed}/train`,
        kind: "train",
        arm: arm.name,
        seed,
        slice: {
          baseModel: config.baseModel,
          mode: trainMode(arm),
          training: trainingRecipe(arm.training),
          seed,
          ...extras.slice,
        },
        files: { base: config.baseModel },
        deps: { data: convert.id, ...extras.deps },
      });
      await plan.add({
        id: `${arm.name}/s${seed}/generate`,
        kind: "generate",
        arm: arm.name,
        seed,
        slice: {
          ...genSlice,
          generation: { ...gen, seed: arm.generation.seed ?? (gen.temperature > 0 ? seed : gen.seed) },
        },
        files: genFiles,
        deps: { model: train.id, ...genDeps },
      });
    }
    plan.genId.set(arm.name, (s) => `${arm.name}/s${s}/generate`);
  } else if (generatesPerSeed(arm)) {
    for (const seed of arm.seeds) {
      await plan.add({
        id: `${arm.name}/s${seed}/generate`,
        kind: "generate",
        arm: arm.name,
        seed,
        slice: { ...genSlice, generation: { ...gen, seed } },
        files: genFiles,
        deps: genDeps,
      });
    }
    plan.genId.set(arm.name, (s) => `${arm.name}/s${s}/generate`);
  } else {
    await plan.add({
      id: `${arm.name}/generate`,
      kind: "generate",
      arm: arm.name,
      seed: null,
      slice: genSlice,
      files: genFiles,
      deps: genDeps,
    });
    plan.genId.set(arm.name, () => `${arm.name}/generate`);
  }
}

/** Each non-reference arm's outputs judged against the reference's of the same seed; returns their ids. */
async function planJudges(plan: Plan, config: ExperimentConfig): Promise<string[]> {
  const ev = config.evaluation;
  const ref = config.arms.find((a) => a.name === ev.reference)!;
  const refGen = plan.genId.get(ref.name)!;
  const judgeSlice = {
    judge: ev.judge,
    judgeModel: ev.judgeModel ?? null,
    judgeFormat: ev.judgeFormat ?? null,
    // The hash keeps the option's former name: the rename must not invalidate finished judge steps.
    judgeContext: ev.judgeContextSize ?? null,
    bothOrders: ev.bothOrders,
    judgeSeed: ev.judgeSeed,
    template: ev.judgeTemplate ? "file" : "default",
    ...(ev.judgeTemperature === undefined ? {} : { judgeTemperature: ev.judgeTemperature }),
  };
  const judgeFiles: Record<string, string> = {
    judge: ev.judge!,
    ...(ev.judgeTemplate ? { template: ev.judgeTemplate } : {}),
  };
  const judges: string[] = [];
  for (const arm of ev.judge ? config.arms : []) {
    if (arm.name === ref.name) continue;
    for (const seed of arm.seeds) {
      const refId = refGen(seed);
      if (!plan.has(refId)) {
        throw new ExperimentError(
          "EXPERIMENT_CONFIG_INVALID",
          `arm "${arm.name}" has seed ${seed}, but the reference arm "${ref.name}" has no seed ${seed} (its seeds: ${ref.seeds.join(", ")})`,
          { suggestion: "give the reference arm every seed the other arms use" },
        );
      }
      const j = await plan.add({
        id: `${arm.name}/s${seed}/judge`,
        kind: "judge",
        arm: arm.name,
        seed,
        slice: judgeSlice,
        files: judgeFiles,
        deps: { outputs: plan.genId.get(arm.name)!(seed), reference: refId },
      });
      judges.push(j.id);
    }
  }
  return judges;
}

/** The similarity analysis of the arms it names; returns their ids. */
async function planSimilarity(plan: Plan, config: ExperimentConfig): Promise<string[]> {
  const sim = config.analyses.similarity;
  const sims: string[] = [];
  for (const name of sim?.arms ?? []) {
    const arm = config.arms.find((a) => a.name === name)!;
    const seed = arm.seeds[0];
    const s = await plan.add({
      id: `${arm.name}/s${seed}/similarity`,
      kind: "similarity",
      arm: arm.name,
      seed,
      slice: { maxExamples: sim!.maxExamples ?? 1000, contextSize: sim!.contextSize ?? null },
      files: { embedder: sim!.embedder, general: sim!.generalData },
      deps: { outputs: plan.genId.get(arm.name)!(seed), data: `${arm.name}/convert` },
    });
    sims.push(s.id);
  }
  return sims;
}

/** Every step of the experiment in run order, with hashes computed from config and input files. */
export async function planExperiment(config: ExperimentConfig, hasher: FileHasher): Promise<Step[]> {
  const plan = new Plan(config, hasher);
  const ev = config.evaluation;
  for (const set of stepKindSets()) await set.planStart?.(plan, config);
  for (const arm of config.arms) await planArm(plan, config, arm);
  const judges = await planJudges(plan, config);
  const checks: string[] = [];
  for (const set of stepKindSets()) checks.push(...((await set.planChecks?.(plan, config)) ?? []));
  const sims = await planSimilarity(plan, config);
  const ref = config.arms.find((a) => a.name === ev.reference)!;
  const generates = plan.steps.filter((s) => s.kind === "generate").map((s) => s.id);
  await plan.add({
    id: "aggregate",
    kind: "aggregate",
    arm: "*",
    seed: null,
    slice: {
      arms: config.arms.map((a) => ({ name: a.name, kind: a.kind, seeds: a.seeds })),
      reference: ref.name,
      ...(ev.lengthControlled ? { lengthControlled: true } : {}),
    },
    // An input like any other: checked before the first step runs, marked by --dry-run.
    files: ev.lengthControlled ? { [LC_DATA_NAME]: gamedDataPath() } : {},
    deps: Object.fromEntries([...judges, ...checks, ...generates, ...sims].map((id) => [id, id])),
  });
  return plan.steps;
}

/** `--only` patterns: a step id (`rules/generate`), an arm (`rules`), an arm and kind across seeds (`rt/train`), or a kind (`judge`). */
export function matchesOnly(step: Step, patterns: string[]): boolean {
  return patterns.some((p) => {
    const q = p.replace(/\/+$/, "");
    if (q === step.id || q === step.arm || q === step.kind) return true;
    const [arm, kind] = q.split("/");
    return arm === step.arm && kind === step.kind;
  });
}
