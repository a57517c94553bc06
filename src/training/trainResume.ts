// A run's identity and where it starts: the hash --resume matches, a finished run's result, and the
// weights (model, checkpoint or fresh LoRA adapter) the trainer loads.
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { copyFile, mkdir, readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { makeLora } from "../model/makeLora.js";
import { writeAtomic } from "../util/atomicWrite.js";
import { sha256File } from "../util/sha256File.js";
import type { CheckpointState } from "./checkpoint.js";
import type { ResolvedTrainOptions } from "./trainOptions.js";
import type { TrainResult } from "./types.js";

/**
 * A model file as a run's input: by content when it is small enough to hash at once (so a file rewritten at
 * the same path, e.g. the lab's random init after its vocabulary changed, is another run), else by path.
 */
async function modelIdentity(model: string): Promise<string> {
  return statSync(model).size <= MODEL_HASH_MAX_BYTES ? `sha256:${await sha256File(model)}` : resolve(model);
}
const MODEL_HASH_MAX_BYTES = 64 * 2 ** 20;

/** What identifies a run for --resume: every setting that changes the result, the data and small models by content. */
export async function runHashOf(r: ResolvedTrainOptions): Promise<string> {
  return createHash("sha256")
    .update(
      JSON.stringify({
        ...r,
        threads: undefined,
        poll: undefined,
        resume: undefined,
        // Where snapshots are taken does not change the weights; a linear schedule hashes as before it had a name.
        snapshotEpochs: undefined,
        lrSchedule: r.lrSchedule === "linear" ? undefined : r.lrSchedule,
        output: undefined,
        data: await sha256File(r.data),
        model: await modelIdentity(r.model),
      }),
    )
    .digest("hex")
    .slice(0, 16);
}

/** --resume after the run finished: the output and its log of this very run are the result (else null). */
export async function finishedRun(r: ResolvedTrainOptions, runHash: string): Promise<TrainResult | null> {
  if (!existsSync(r.output)) return null;
  const log = await readFile(`${r.output}.train.json`, "utf8").then(
    (t) => JSON.parse(t) as TrainResult & { runHash?: string },
    () => null,
  );
  if (log?.runHash !== runHash) return null;
  const { placement, threads, poll, windows_by_threads } = log; // each absent in logs of older versions
  return {
    epochs: log.epochs,
    tokens_per_second: log.tokens_per_second,
    output: r.output,
    ...(placement ? { placement } : {}),
    ...(threads ? { threads, poll } : {}),
    ...(windows_by_threads ? { windows_by_threads } : {}),
  };
}

/**
 * Where the trainer starts: the model or the checkpoint's weights, and for LoRA the adapter (a fresh one,
 * B = 0 and so a no-op, or the checkpoint's). `loraPath` is "" for full finetuning.
 */
export async function startingPoint(r: ResolvedTrainOptions, ckptDir: string, state: CheckpointState | null) {
  let loraPath = "";
  if (r.loraRank > 0) {
    loraPath = join(ckptDir, "init-adapter.gguf");
    if (!existsSync(loraPath)) {
      const fresh = !existsSync(ckptDir);
      await mkdir(ckptDir, { recursive: true });
      await makeLora({
        base: r.model,
        output: loraPath,
        rank: r.loraRank,
        alpha: r.loraAlpha,
        targets: r.loraTargets,
        seed: r.seed,
      }).catch(async (e: unknown) => {
        if (fresh) await rm(ckptDir, { recursive: true, force: true }); // no empty OUT.ckpt/ left by bad --lora-targets
        throw e;
      });
    }
  }
  let start = state ? join(ckptDir, state.weights) : null;
  if (start && loraPath) {
    // The trainer re-reads its starting adapter's metadata at every save, and each checkpoint deletes the
    // older weights: resume from a copy that the cleanup keeps (init-*).
    const kept = join(ckptDir, "init-resume-adapter.gguf");
    const from = start;
    await writeAtomic(kept, (tmp) => copyFile(from, tmp));
    start = kept;
  }
  return {
    modelPath: start && !loraPath ? start : r.model,
    loraPath: start && loraPath ? start : loraPath,
  };
}
