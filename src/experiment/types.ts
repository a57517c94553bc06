// The experiment runner's shared types: the plan's steps, what a step runs with and returns, the run's
// options, events and outcome. One file, so the scheduler, the step runner and the steps import it alone.
import type { JudgeBackend } from "../eval/judge/backend.js";
import type { TrainOptions, TrainResult } from "../training/types.js";
import type { Arm, ExperimentConfig } from "./config.js";
import type { Resolved } from "./plan.js";
import type { ExperimentResults, ResultFiles } from "./results.js";

/**
 * A step's kind names its runner: the runner's own kinds (`convert`, `train`, `generate`, `judge`,
 * `similarity`, `aggregate`, runSteps.ts) and those registered by other code (stepKinds.ts).
 */
export type StepKind = string;

/** One unit of work: its inputs (a config slice, files, upstream steps) decide its hash and directory. */
export interface Step {
  /** `lab/world`, `lab/fit-rules`, `arm/convert`, `arm/s1/train`, `arm/generate` (seed-independent), `arm/s1/judge`, `arm/s1/grade`, `aggregate`. */
  id: string;
  kind: StepKind;
  arm: string;
  seed: number | null;
  /** The part of the config this step depends on (defaults filled in). */
  slice: Record<string, unknown>;
  /** Input files by role (content-hashed). */
  files: Record<string, string>;
  /** Upstream steps by role. */
  deps: Record<string, string>;
  hash: string;
  /** Where its outputs live: `<output>/steps/<id>-<hash12>`. */
  dir: string;
}

export type TrainFn = (opts: TrainOptions) => Promise<TrainResult>;

export interface StepContext {
  config: ExperimentConfig;
  /** Finished upstream steps by id: their directories and outputs. */
  upstream: (id: string) => { dir: string; outputs: Record<string, string>; result: Record<string, unknown> };
  train: TrainFn;
  signal?: AbortSignal;
  /** Progress inside a step: done / total of its unit (examples, prompts, pairs, optimizer steps). */
  onProgress?: (done: number, total: number, unit: string) => void;
  /** The judge, opened once per run and shared by every judge step. */
  judge: () => Promise<JudgeBackend>;
}

export interface StepOutcome {
  outputs: Record<string, string>;
  result: Record<string, unknown>;
}

/** Runs one step of its kind; `arm` is the step's arm (none for steps outside the arms, e.g. a world). */
export type RunStep = (step: Step, ctx: StepContext, arm: Arm | undefined) => Promise<StepOutcome>;

/** The plan under construction (plan.ts), as registered step kinds add to it. */
export interface PlanBuilder {
  readonly steps: Step[];
  has(id: string): boolean;
  add(s: Omit<Step, "hash" | "dir">): Promise<Step>;
}

/** A config source that a step writes (e.g. `lab:dev`): steps reading it depend on that step. */
export interface StepSource {
  matches(spec: string): boolean;
  /** The writing step's id, and the role under which readers depend on it. */
  step: string;
  role: string;
  /** The file in the writing step's directory. */
  file(dir: string, spec: string): string;
}

/** What a train step does with its snapshots (grading them, keeping the best); `result` joins the step's. */
export interface TrainSnapshots {
  /** Snapshot at the end of these epochs (the budgets the snapshots choose among). */
  snapshotEpochs: number[];
  onSnapshot: NonNullable<TrainOptions["onSnapshot"]>;
  finish(output: string): Promise<void>;
  result(): Record<string, unknown>;
}

/**
 * Step kinds that code outside the runner adds (stepKinds.ts), with the hooks where the runner's plan
 * and train step let them in; each hook is called for every registered set, in registration order.
 */
export interface StepKindSet {
  name: string;
  /** The runner of each of its kinds. */
  run: Record<string, RunStep>;
  /** The sources its steps write. */
  sources?: StepSource[];
  /** Steps planned before the arms'. */
  planStart?(plan: PlanBuilder, config: ExperimentConfig): Promise<void>;
  /** For a rules arm whose rule file a step of this set makes: plans that step (once) and returns its id. */
  planRules?(plan: PlanBuilder, config: ExperimentConfig, arm: Arm, gen: Resolved): Promise<string | undefined>;
  /** What a train step adds to its slice and upstream steps. */
  planTrain?(
    config: ExperimentConfig,
    arm: Arm,
    gen: Resolved,
  ): { slice: Record<string, unknown>; deps: Record<string, string> } | undefined;
  /** Steps planned after the judges, which the aggregate step waits for; returns their ids. */
  planChecks?(plan: PlanBuilder, config: ExperimentConfig): Promise<string[]>;
  /** A train step's snapshot handling, or null to train without snapshots. */
  trainSnapshots?(step: Step, arm: Arm, ctx: StepContext, lora: boolean): Promise<TrainSnapshots | null>;
}

export interface RunExperimentOptions {
  /** The trainer. Defaults to the training library's `train`; tests may wrap it to observe calls. */
  train?: TrainFn;
  /** Run only the steps matching these patterns (see {@link matchesOnly}); their upstream steps must be done. */
  only?: string[];
  /** List every step with its inputs, hash and status; run nothing. Defaults to `false`. */
  dryRun?: boolean;
  /**
   * On a failed step, record it, skip the steps that need it, run everything else, and aggregate what
   * finished (the failures are in `failed`). Defaults to `false`: the first failure throws.
   */
  keepGoing?: boolean;
  signal?: AbortSignal;
  onEvent?: (e: ExperimentEvent) => void;
}

export type ExperimentEvent =
  | { type: "step-start" | "step-cached"; step: string; kind: StepKind }
  | { type: "step-done"; step: string; kind: StepKind; seconds: number }
  | { type: "step-failed"; step: string; kind: StepKind; code: string; message: string }
  | { type: "step-skipped"; step: string; kind: StepKind; after: string[] }
  | { type: "step-waiting"; step: string; message: string }
  | { type: "progress"; step: string; done: number; total: number; unit: string };

export interface StepStatus {
  id: string;
  kind: StepKind;
  arm: string;
  seed: number | null;
  hash: string;
  dir: string;
  /** done: finished earlier (cached) · ran: finished in this run · pending: not run yet. */
  status: "done" | "ran" | "pending";
  /** Input files (by role) that do not exist: the step would fail when reached. */
  missing?: Record<string, string>;
  inputs: { slice: Record<string, unknown>; files: Record<string, string>; deps: Record<string, string> };
}

export interface ExperimentRun {
  experiment: string;
  output: string;
  dryRun: boolean;
  aborted: boolean;
  steps: StepStatus[];
  executed: string[];
  cached: string[];
  /** With keepGoing: the steps that failed, and those skipped because they needed one. */
  failed: { step: string; code: string; message: string }[];
  skipped: string[];
  results: ExperimentResults | null;
  files: ResultFiles | null;
}
