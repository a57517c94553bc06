// The experiment runner's shared types: the plan's steps, what a step runs with and returns, the run's
// options, events and outcome. One file, so the scheduler, the step runner and the steps import it alone.
import type { JudgeBackend } from "../eval/judge/backend.js";
import type { TrainOptions, TrainResult } from "../training/types.js";
import type { ExperimentConfig } from "./config.js";
import type { ExperimentResults, ResultFiles } from "./results.js";

export type StepKind =
  | "world"
  | "fit"
  | "convert"
  | "train"
  | "generate"
  | "judge"
  | "grade"
  | "similarity"
  | "aggregate";
export const STEP_KINDS: StepKind[] = [
  "world",
  "fit",
  "convert",
  "train",
  "generate",
  "judge",
  "grade",
  "similarity",
  "aggregate",
];

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
