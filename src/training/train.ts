// Finetuning: response tuning, instruction tuning, single-task and LM, full or LoRA (paper §2–§3).
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { callNative, loadAddon, loadedBackend, mapNativeError } from "../bindings/loadAddon.js";
import { AbortError, IitError, TrainingError } from "../errors.js";
import { placementOf } from "../model/placement.js";
import { resolveModelPath } from "../model/resolveModelPath.js";
import { writeAtomic, writeJsonAtomic } from "../util/atomicWrite.js";
import { checkOutputPath } from "../util/outputPath.js";
import { permutation } from "../util/random.js";
import {
  checkpointCorrupt,
  checkpointDir,
  readCheckpoint,
  writeCheckpoint,
  type CheckpointState,
  type StepLog,
} from "./checkpoint.js";
import { fillWindow, type Window } from "./examples.js";
import { windowLossScales } from "./loss.js";
import { learningRate } from "./schedule.js";
import { adaptiveMaxThreads } from "../model/threads.js";
import { resolveTrainOptions, trainThreads, type ResolvedTrainOptions } from "./trainOptions.js";
import { finishedRun, runHashOf, startingPoint } from "./trainResume.js";
import { trainingWindows } from "./trainWindows.js";
import type { EpochResult, TrainOptions, TrainResult } from "./types.js";

/** The native trainer's settings: AdamW with the paper's betas, on the resolved options. */
function trainerSettings(r: ResolvedTrainOptions, modelPath: string, loraPath: string) {
  return {
    modelPath,
    loraPath,
    nCtx: r.nCtx,
    threads: trainThreads(r.model, r.nCtx, r.threads),
    // without an explicit count, each training window's count adapts to the machine (model/threads.ts)
    ...(r.threads === undefined ? { maxThreads: adaptiveMaxThreads() } : {}),
    poll: r.poll,
    // Vulkan: creating the training context with layers offloaded aborts in llama.cpp (a double free,
    // seen on lavapipe), so training keeps every layer on the CPU there (docs/gpu.md).
    gpuLayers: loadedBackend()?.backend === "vulkan" ? 0 : -1,
    sgd: false,
    freezeEmbeddings: r.freezeEmbeddings,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: r.weightDecay,
    maxGradNorm: r.maxGradNorm,
  };
}

/** Mean loss per target token over the validation windows (forward passes only), or null without any. */
async function validationLoss(
  valWins: Window[],
  runWindow: (w: Window, learn: boolean, scale: number) => Promise<number>,
): Promise<number | null> {
  if (!valWins.length) return null;
  let nll = 0;
  let n = 0;
  for (const w of valWins) {
    nll += await runWindow(w, false, 1);
    n += w.nTargets;
  }
  return nll / n;
}

/**
 * Trains `model` on `data` and writes the result to `output` (model GGUF, or adapter GGUF with
 * `loraRank`). A checkpoint is written at the end of each epoch and when `signal` aborts (at the next
 * optimizer step), so `resume: true` continues exactly where the run stopped.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const r = resolveTrainOptions(opts);
  checkOutputPath(r.output, "--output", { createParents: true }); // not after the whole run
  r.model = await resolveModelPath(r.model); // hf: or URL: the trainer and makeLora read a file
  const { train: trainWins, val: valWins, stats, pad } = await trainingWindows(r, opts.onWarning);
  const runHash = await runHashOf(r);

  const ckptDir = checkpointDir(r.output);
  const state: CheckpointState | null = r.resume ? await readCheckpoint(r.output, runHash) : null;
  if (r.resume && !state) {
    const finished = await finishedRun(r, runHash);
    if (finished) return finished;
  }
  if (!r.resume && existsSync(join(ckptDir, "state.json"))) {
    throw new TrainingError("CHECKPOINT_EXISTS", `${ckptDir} holds a checkpoint of an earlier run`, {
      suggestion: "pass --resume to continue it, or delete the directory to start over",
    });
  }

  const { modelPath, loraPath } = await startingPoint(r, ckptDir, state);
  // A damaged file of the checkpoint (cut by a full disk, say) is the checkpoint's fault, not the model's.
  const damaged = (e: unknown, file: string) =>
    state &&
    e instanceof IitError &&
    ["GGUF_TRUNCATED", "GGUF_CORRUPT", "NOT_GGUF", "CHECKPOINT_INVALID"].includes(e.code)
      ? checkpointCorrupt(r.output, `${file}: ${e.message}`, e)
      : e;
  const trainer = new (loadAddon().AddonTrainer)();
  await callNative(() => trainer.create(trainerSettings(r, modelPath, loraPath))).catch((e: unknown) => {
    if (state) throw damaged(e, state.weights);
    if (e instanceof TrainingError && e.code === "MODEL_NOT_F32") {
      throw new TrainingError(e.code, e.message, {
        suggestion:
          "full finetuning needs F32 weights: convert the model to F32 (convert_hf_to_gguf.py --outtype f32), or train a LoRA adapter with --lora-rank",
      });
    }
    throw e;
  });

  const placement = placementOf(trainer.offload());
  const { nThreads, poll } = trainer.info();
  opts.onPlacement?.(placement);
  try {
    if (state) {
      try {
        trainer.loadOptimizer(join(ckptDir, state.optimizer));
      } catch (e) {
        throw damaged(mapNativeError(e), state.optimizer);
      }
    }
    const groupsPerEpoch = Math.ceil(trainWins.length / r.batchSize);
    const totalSteps = groupsPerEpoch * r.epochs;
    const warmup = Math.floor(totalSteps * r.warmupRatio);
    const s: Omit<CheckpointState, "weights" | "optimizer"> = state ?? {
      version: 1,
      runHash,
      epoch: 0,
      group: 0,
      epochNll: 0,
      epochTargets: 0,
      epochs: [] as EpochResult[],
      steps: [] as StepLog[],
      windowsDone: 0,
      seconds: 0,
    };
    const checkpoint = (at: typeof s) =>
      writeCheckpoint(r.output, at, async (w, o) => {
        await callNative(() => trainer.save(w, "weights"));
        await callNative(() => trainer.save(o, "optimizer"));
      });

    // A non-finite loss means the weights are gone: stop before they reach a checkpoint or the output.
    const finite = (loss: number, where: string) => {
      if (Number.isFinite(loss)) return;
      const kept = existsSync(join(ckptDir, "state.json")) ? `; the last good checkpoint in ${ckptDir} is kept` : "";
      throw new TrainingError(
        "TRAINING_DIVERGED",
        `training diverged: the loss is ${loss} at ${where} (--lr ${r.lr}); ${r.output} was not written${kept}`,
        {
          suggestion: "lower --lr (or raise --warmup-ratio) and start over",
        },
      );
    };
    let t0 = performance.now();
    const elapsed = () => s.seconds + (performance.now() - t0) / 1000;
    const snapshotPath = `${r.output}.snapshot.gguf`;
    const snapshot = async (step: number): Promise<boolean> => {
      await callNative(() => trainer.save(snapshotPath, "weights"));
      const t = performance.now();
      const stop = (await opts.onSnapshot?.({ step, steps: totalSteps, path: snapshotPath })) === true;
      t0 += performance.now() - t; // evaluation time is not training time
      return stop;
    };
    // One pair of buffers for every window: the addon copies them before it returns.
    const tokens = new Int32Array(r.nCtx);
    const labels = new Int32Array(r.nCtx);
    const runWindow = (w: Window, learn: boolean, scale: number): Promise<number> => {
      fillWindow(w, pad, tokens, labels);
      return callNative(() => trainer.window(tokens, labels, learn, scale));
    };
    let stopped = false;
    for (; s.epoch < r.epochs && !stopped; s.epoch++, s.group = 0, s.epochNll = 0, s.epochTargets = 0) {
      const order = permutation(trainWins.length, r.seed * 1000003 + s.epoch + 1).map((i) => trainWins[i]);
      for (; s.group < groupsPerEpoch; s.group++) {
        if (opts.signal?.aborted) {
          s.seconds = elapsed();
          await checkpoint(s);
          throw new AbortError(
            `training stopped at epoch ${s.epoch + 1}, step ${s.group}; a checkpoint was saved: rerun with --resume`,
          );
        }
        const group = order.slice(s.group * r.batchSize, (s.group + 1) * r.batchSize);
        const nTargets = group.reduce((n, w) => n + w.nTargets, 0);
        const step = s.epoch * groupsPerEpoch + s.group;
        const lr = learningRate(step, totalSteps, warmup, r.lr, r.lrSchedule);
        trainer.setPeriod(group.length);
        trainer.setLr(lr);
        const scales = windowLossScales(
          group.map((w) => w.nTargets),
          r.lossReduction,
        );
        let nll = 0;
        let loss = 0; // the step's optimised loss
        for (const [k, w] of group.entries()) {
          const wNll = await runWindow(w, true, scales[k]);
          nll += wNll;
          loss += wNll * scales[k];
        }
        finite(nll, `epoch ${s.epoch + 1}, step ${step + 1}`);
        s.epochNll += nll;
        s.epochTargets += nTargets;
        s.windowsDone += group.length;
        s.steps.push({ step: step + 1, epoch: s.epoch + 1, loss, lr, grad_norm: trainer.gradNorm() });
        opts.onProgress?.({
          epoch: s.epoch + 1,
          epochs: r.epochs,
          step: step + 1,
          steps: totalSteps,
          loss,
          tokensPerSecond: (s.windowsDone * r.nCtx) / elapsed(),
        });
        const epochEnd = s.group + 1 === groupsPerEpoch && r.snapshotEpochs.includes(s.epoch + 1);
        const every = r.snapshotEvery && ((step + 1) % r.snapshotEvery === 0 || step + 1 === totalSteps);
        if ((every || epochEnd) && (await snapshot(step + 1))) {
          stopped = true;
          s.group++;
          break;
        }
      }
      if (valWins.length) trainer.setPeriod(1);
      const valLoss = await validationLoss(valWins, runWindow);
      // The last step's update shows only in the next forward pass: run one before saving the weights.
      trainer.setPeriod(1);
      finite(valLoss ?? (await runWindow(trainWins[0], false, 1)), `the end of epoch ${s.epoch + 1}`);
      s.epochs.push({ epoch: s.epoch + 1, train_loss: s.epochNll / s.epochTargets, val_loss: valLoss });
      s.seconds = elapsed();
      t0 = performance.now();
      // The checkpoint records the next epoch as the one in progress; after the last, the output is it.
      if (s.epoch + 1 < r.epochs && !stopped)
        await checkpoint({ ...s, epoch: s.epoch + 1, group: 0, epochNll: 0, epochTargets: 0 });
    }
    await writeAtomic(r.output, (tmp) => callNative(() => trainer.save(tmp, "weights")));
    await rm(ckptDir, { recursive: true, force: true }); // weights + AdamW moments: 3× the model
    await rm(snapshotPath, { force: true });
    const result: TrainResult = {
      epochs: s.epochs,
      tokens_per_second: (s.windowsDone * r.nCtx) / Math.max(1e-9, s.seconds),
      output: r.output,
      placement,
      threads: nThreads,
      poll,
      windows_by_threads: trainer.info().stepsByThreads,
    };
    await writeJsonAtomic(`${r.output}.train.json`, { ...result, runHash, windows: stats, steps: s.steps });
    return result;
  } finally {
    trainer.dispose();
  }
}
