// Training checkpoints: <output>.ckpt/ holds the weights (model or adapter), the optimizer state and
// state.json. state.json is written last and atomically, so it always names a complete set of files.
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { IitError, TrainingError } from "../errors.js";
import { writeJsonAtomic } from "../util/atomicWrite.js";
import { diskFullError } from "../util/writeErrors.js";
import type { EpochResult } from "./types.js";

export interface StepLog {
  step: number;
  epoch: number;
  /** The optimised loss (see TrainOptions.lossReduction). */
  loss: number;
  lr: number;
  /** Global L2 norm of the step's gradient before clipping. */
  grad_norm: number;
}

export interface CheckpointState {
  version: 1;
  /** Hash of everything that shapes the trajectory; --resume refuses a different run. */
  runHash: string;
  /** Epoch in progress (0-based) and the next optimizer step's group within it. */
  epoch: number;
  group: number;
  /** Running sums of the epoch in progress. */
  epochNll: number;
  epochTargets: number;
  epochs: EpochResult[];
  steps: StepLog[];
  windowsDone: number;
  seconds: number;
  /** File names inside the checkpoint directory. */
  weights: string;
  optimizer: string;
}

export const checkpointDir = (output: string) => `${output}.ckpt`;

export async function readCheckpoint(output: string, runHash: string): Promise<CheckpointState | null> {
  const file = join(checkpointDir(output), "state.json");
  if (!existsSync(file)) return null;
  let state: CheckpointState;
  try {
    state = JSON.parse(await readFile(file, "utf8")) as CheckpointState;
  } catch (e) {
    throw new TrainingError("CHECKPOINT_CORRUPT", `${file} is not a readable checkpoint (${(e as Error).message})`, {
      suggestion: `delete ${checkpointDir(output)} to start over`,
    });
  }
  if (state.runHash !== runHash) {
    throw new TrainingError("CHECKPOINT_MISMATCH", `${file} belongs to a run with other data or settings`, {
      suggestion: "resume with the same model, data and options, or delete the .ckpt directory to start over",
    });
  }
  for (const f of [state.weights, state.optimizer]) {
    if (typeof f !== "string" || !existsSync(join(checkpointDir(output), f)))
      throw checkpointCorrupt(output, `${f} is missing`);
  }
  return state;
}

/** A checkpoint whose files cannot be used (missing, truncated): it is not resumable. */
export function checkpointCorrupt(output: string, why: string, cause?: unknown): TrainingError {
  return new TrainingError("CHECKPOINT_CORRUPT", `the checkpoint ${checkpointDir(output)} cannot be resumed: ${why}`, {
    cause,
    suggestion: `delete ${checkpointDir(output)} to start over`,
  });
}

/** Writes weights and optimizer state under fresh names, then state.json, then removes older files; a failure (a full disk) removes only its own files. */
export async function writeCheckpoint(
  output: string,
  state: Omit<CheckpointState, "weights" | "optimizer">,
  save: (weightsPath: string, optimizerPath: string) => Promise<void>,
): Promise<void> {
  const dir = checkpointDir(output);
  await mkdir(dir, { recursive: true });
  const tag = `${state.epoch}-${state.group}-${Date.now().toString(36)}`;
  const weights = `weights-${tag}.gguf`;
  const optimizer = `optimizer-${tag}.gguf`;
  try {
    await save(join(dir, weights), join(dir, optimizer));
    await writeJsonAtomic(join(dir, "state.json"), { ...state, weights, optimizer });
  } catch (e) {
    // The previous checkpoint (state.json and its files) stays whole; what this one wrote goes.
    for (const f of [weights, optimizer]) await rm(join(dir, f), { force: true });
    throw e instanceof IitError && e.code === "DISK_FULL" && !e.suggestion ? diskFullError(dir, null, e, e.message) : e;
  }
  for (const f of await readdir(dir)) {
    if (f.endsWith(".gguf") && f !== weights && f !== optimizer && !f.startsWith("init-")) await rm(join(dir, f));
  }
}
