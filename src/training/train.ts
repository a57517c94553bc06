// Finetuning: response tuning, instruction tuning, single-task and LM, full or LoRA (paper §2–§3).
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { copyFile, mkdir, readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { callNative, loadAddon, loadedBackend, mapNativeError } from "../bindings/loadAddon.js";
import { placementOf } from "../model/placement.js";
import { dropInstructions, readTrainingRows } from "../data/messages.js";
import { AbortError, IitError, InvalidOptionError, ModelLoadError, TrainingError } from "../errors.js";
import { resolveModelPath } from "../model/resolveModelPath.js";
import { loadModel, type Model } from "../model/Model.js";
import { checkLoraRank } from "../model/loraShape.js";
import { modelShape } from "../model/memory.js";
import { systemInfo } from "../model/systemInfo.js";
import { checkTrainingMemory } from "./memory.js";
import { checkFloat32, INT32_MAX, UINT32_MAX } from "../util/numbers.js";
import { makeLora } from "../model/makeLora.js";
import { checkThreads, chooseThreads, resolvePoll } from "../model/threads.js";
import {
  checkpointCorrupt,
  checkpointDir,
  readCheckpoint,
  writeCheckpoint,
  type CheckpointState,
  type StepLog,
} from "./checkpoint.js";
import { fillWindow, tokenizeExample, tokenizeText, WindowBuilder, type Window, type WindowStats } from "./examples.js";
import { writeAtomic, writeJsonAtomic } from "../util/atomicWrite.js";
import { checkOutputPath } from "../util/outputPath.js";
import { sha256File } from "../util/sha256File.js";
import { permutation } from "../util/random.js";
import { learningRate, LR_SCHEDULES } from "./schedule.js";
import { DEFAULT_LOSS_REDUCTION, LOSS_REDUCTIONS, windowLossScales } from "./loss.js";
import type { EpochResult, TrainOptions, TrainResult } from "./types.js";

export const DEFAULT_LORA_TARGETS = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"];
/** The paper's DeepSpeed config: gradient_clipping 1.0. */
export const DEFAULT_MAX_GRAD_NORM = 1.0;

interface Resolved
  extends Required<
    Omit<
      TrainOptions,
      | "signal"
      | "onProgress"
      | "onWarning"
      | "onSnapshot"
      | "onPlacement"
      | "maxExamples"
      | "loraRank"
      | "loraAlpha"
      | "threads"
    >
  > {
  /** The explicit count; undefined = {@link trainThreads} chooses. */
  threads: number | undefined;
  loraRank: number;
  loraAlpha: number;
  maxExamples: number;
}

/**
 * Training threads: the explicit count, else chosen from one window's work (src/model/threads.ts).
 * Training needs F32 weights, so the file's bytes / 4 stand in for the parameter count.
 */
export function trainThreads(model: string, nCtx: number, requested?: number): number {
  if (!existsSync(model))
    throw new ModelLoadError("NOT_FOUND", `model not found: ${model}`, {
      suggestion: "pass the path of an F32 GGUF file",
    });
  return chooseThreads({ requested, nParams: statSync(model).size / 4, tokensPerDecode: nCtx });
}

function check(ok: boolean, message: string, suggestion?: string): void {
  if (!ok) throw new InvalidOptionError("INVALID_OPTION", message, { suggestion });
}

export function resolveTrainOptions(opts: TrainOptions): Resolved {
  const r: Resolved = {
    model: opts.model,
    data: opts.data,
    mode: opts.mode,
    output: opts.output,
    epochs: opts.epochs ?? 2,
    lr: opts.lr ?? 1e-5,
    lrSchedule: opts.lrSchedule ?? "linear",
    warmupRatio: opts.warmupRatio ?? 0.03,
    batchSize: opts.batchSize ?? 1,
    weightDecay: opts.weightDecay ?? 0,
    lossReduction: opts.lossReduction ?? DEFAULT_LOSS_REDUCTION,
    maxGradNorm: opts.maxGradNorm ?? DEFAULT_MAX_GRAD_NORM,
    seed: opts.seed ?? 42,
    valFraction: opts.valFraction ?? 0,
    nCtx: opts.nCtx ?? 512,
    pack: opts.pack ?? false,
    freezeEmbeddings: opts.freezeEmbeddings ?? false,
    threads: opts.threads === undefined ? undefined : checkThreads(opts.threads),
    poll: resolvePoll(opts.poll),
    loraRank: opts.loraRank ?? 0,
    loraAlpha: opts.loraAlpha ?? 2 * (opts.loraRank ?? 0),
    loraTargets: opts.loraTargets ?? DEFAULT_LORA_TARGETS,
    resume: opts.resume ?? false,
    maxExamples: opts.maxExamples ?? Infinity,
    snapshotEvery: opts.snapshotEvery ?? 0,
    snapshotEpochs: opts.snapshotEpochs ?? [],
  };
  check(["instruction", "response", "lm"].includes(r.mode), `mode must be instruction, response or lm, got ${r.mode}`);
  check(
    Number.isInteger(r.epochs) && r.epochs >= 1 && r.epochs <= INT32_MAX,
    `epochs must be a positive integer, got ${r.epochs}`,
  );
  check(r.lr > 0 && Number.isFinite(r.lr), `lr must be positive, got ${r.lr}`);
  check(LR_SCHEDULES.includes(r.lrSchedule), `lrSchedule must be ${LR_SCHEDULES.join(" or ")}, got ${r.lrSchedule}`);
  check(
    r.snapshotEpochs.every((e) => Number.isInteger(e) && e >= 1 && e <= r.epochs),
    `snapshotEpochs must be epochs between 1 and ${r.epochs}, got ${r.snapshotEpochs.join(", ")}`,
  );
  // Floats reach the optimizer as 32-bit floats.
  for (const [name, v] of [
    ["lr", r.lr],
    ["weight decay", r.weightDecay],
    ["max grad norm", r.maxGradNorm],
    ["LoRA alpha", r.loraAlpha],
  ] as const)
    checkFloat32(v, name);
  check(
    Number.isInteger(r.seed) && r.seed >= 0 && r.seed <= UINT32_MAX,
    `seed must be an integer in [0, ${UINT32_MAX}], got ${r.seed}`,
  );
  check(r.warmupRatio >= 0 && r.warmupRatio < 1, `warmup ratio must be in [0, 1), got ${r.warmupRatio}`);
  check(
    Number.isInteger(r.batchSize) && r.batchSize >= 1 && r.batchSize <= INT32_MAX,
    `batch size must be a positive integer, got ${r.batchSize}`,
  );
  check(r.weightDecay >= 0 && r.weightDecay <= 1, `weight decay must be in [0, 1], got ${r.weightDecay}`);
  check(
    LOSS_REDUCTIONS.includes(r.lossReduction),
    `loss reduction must be ${LOSS_REDUCTIONS.join(" or ")}, got ${r.lossReduction}`,
  );
  check(
    r.maxGradNorm >= 0 && Number.isFinite(r.maxGradNorm),
    `max grad norm must be ≥ 0 (0 = no clipping), got ${r.maxGradNorm}`,
  );
  check(r.valFraction >= 0 && r.valFraction < 1, `validation fraction must be in [0, 1), got ${r.valFraction}`);
  check(
    Number.isInteger(r.nCtx) && r.nCtx >= 256 && r.nCtx % 256 === 0 && r.nCtx <= INT32_MAX,
    `the window length (n-ctx) must be a multiple of 256 below 2^31, got ${r.nCtx}`,
    "llama.cpp pads contexts to multiples of 256; use 256, 512, 1024, 2048 …",
  );
  check(
    Number.isInteger(r.snapshotEvery) && r.snapshotEvery >= 0,
    `snapshotEvery must be a non-negative integer, got ${r.snapshotEvery}`,
  );
  check(
    r.maxExamples === Infinity || (Number.isInteger(r.maxExamples) && r.maxExamples >= 1),
    `max examples must be a positive integer, got ${r.maxExamples}`,
  );
  check(
    Number.isInteger(r.loraRank) && r.loraRank >= 0 && r.loraRank <= INT32_MAX,
    `LoRA rank must be a non-negative integer, got ${r.loraRank}`,
  );
  check(r.loraRank > 0 || opts.loraAlpha === undefined, "--lora-alpha needs --lora-rank");
  check(resolve(r.output) !== resolve(r.model), "the output would overwrite the base model", "choose another --output");
  return r;
}

/**
 * Reads, tokenizes and windows the data one row at a time (only the tokens are kept, as typed arrays),
 * then splits the windows into train and validation.
 */
async function prepareWindows(
  r: Resolved,
  vocab: Model,
): Promise<{ train: Window[]; val: Window[]; stats: WindowStats; pad: number; emptied: number }> {
  const builder = new WindowBuilder(r.nCtx, r.pack);
  let n = 0;
  let emptied = 0;
  // Stops at maxExamples before the generator parses another row: rows beyond it are never read.
  for await (let row of readTrainingRows(r.data)) {
    n++;
    if ("text" in row) {
      if (r.mode !== "lm") {
        throw new TrainingError(
          "DATA_NEEDS_LM_MODE",
          `${r.data}: row ${n} is a {"text"} row: plain text has no assistant turn to train on`,
          {
            suggestion: "train plain text with --mode lm, or give messages rows",
          },
        );
      }
      builder.add(tokenizeText(vocab, row.text));
    } else {
      // Response tuning trains on responses alone: user turns are emptied (the paper's remove_instructions.py).
      if (r.mode === "response" && row.messages.some((m) => m.role === "user" && m.content !== "")) {
        emptied++;
        row = dropInstructions([row])[0];
      }
      builder.add(tokenizeExample(vocab, row.messages, r.mode));
    }
    if (n === r.maxExamples) break;
  }
  if (n === 0) throw new TrainingError("NO_DATA", `${r.data} holds no examples`);
  const { windows, stats } = builder.finish();
  if (windows.length === 0) {
    throw new TrainingError("NO_TARGETS", `${r.data}: no example has a trainable token within ${r.nCtx} tokens`, {
      suggestion: r.mode === "lm" ? "check the data" : "the assistant turns are empty or cut off: raise --n-ctx",
    });
  }
  const order = permutation(windows.length, r.seed);
  const nVal = r.valFraction > 0 ? Math.max(1, Math.round(windows.length * r.valFraction)) : 0;
  check(nVal < windows.length, `a validation fraction of ${r.valFraction} leaves no training windows`);
  const val = order.slice(0, nVal).map((i) => windows[i]);
  const train = order.slice(nVal).map((i) => windows[i]);
  return { train, val, stats, pad: Math.max(0, vocab.meta.eos), emptied };
}

/** The LoRA rank and the run's memory, checked against the model's shape before any data is read. */
function checkTrainingSize(r: Resolved, vocab: Model): void {
  const shape = modelShape(vocab.meta);
  if (r.loraRank > 0) checkLoraRank(shape, r.loraTargets, r.loraRank, "--lora-rank");
  // CUDA and Metal builds train with every layer offloaded (Vulkan keeps them on the CPU: see trainer.create
  // below), so their devices' free memory counts as well.
  const backend = loadedBackend()?.backend;
  const deviceFree =
    backend && backend !== "cpu" && backend !== "vulkan"
      ? systemInfo()
          .devices.filter((d) => d.type !== "cpu")
          .reduce((n, d) => n + d.memoryFree, 0)
      : 0;
  checkTrainingMemory(
    shape,
    {
      modelBytes: statSync(r.model).size,
      nCtx: r.nCtx,
      loraRank: r.loraRank,
      loraTargets: r.loraTargets,
      freezeEmbeddings: r.freezeEmbeddings,
    },
    deviceFree,
  );
}

/** The data as training windows (tokenized with the model's vocabulary), its warnings sent to `onWarning`. */
async function trainingWindows(r: Resolved, onWarning: TrainOptions["onWarning"]) {
  const vocab = await loadModel({ model: r.model, vocabOnly: true });
  let prepared: Awaited<ReturnType<typeof prepareWindows>>;
  try {
    checkTrainingSize(r, vocab);
    prepared = await prepareWindows(r, vocab);
  } finally {
    vocab.dispose();
  }
  const { stats, emptied } = prepared;
  if (emptied)
    onWarning?.(
      `--mode response: ${emptied} example(s) had instructions; their user turns were emptied (use --mode instruction to train on them)`,
    );
  if (stats.truncated)
    onWarning?.(
      `${stats.truncated} example(s) longer than ${r.nCtx} tokens were truncated (raise --n-ctx to keep them whole)`,
    );
  if (stats.dropped)
    onWarning?.(`${stats.dropped} example(s) had no trainable token within ${r.nCtx} tokens and were left out`);
  return prepared;
}

/**
 * A model file as a run's input: by content when it is small enough to hash at once (so a file rewritten at
 * the same path, e.g. the lab's random init after its vocabulary changed, is another run), else by path.
 */
async function modelIdentity(model: string): Promise<string> {
  return statSync(model).size <= MODEL_HASH_MAX_BYTES ? `sha256:${await sha256File(model)}` : resolve(model);
}
const MODEL_HASH_MAX_BYTES = 64 * 2 ** 20;

/** What identifies a run for --resume: every setting that changes the result, the data and small models by content. */
async function runHashOf(r: Resolved): Promise<string> {
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
async function finishedRun(r: Resolved, runHash: string): Promise<TrainResult | null> {
  if (!existsSync(r.output)) return null;
  const log = await readFile(`${r.output}.train.json`, "utf8").then(
    (t) => JSON.parse(t) as TrainResult & { runHash?: string },
    () => null,
  );
  if (log?.runHash !== runHash) return null;
  const { placement, threads, poll } = log; // each absent in logs of older versions
  return {
    epochs: log.epochs,
    tokens_per_second: log.tokens_per_second,
    output: r.output,
    ...(placement ? { placement } : {}),
    ...(threads ? { threads, poll } : {}),
  };
}

/**
 * Where the trainer starts: the model or the checkpoint's weights, and for LoRA the adapter (a fresh one,
 * B = 0 and so a no-op, or the checkpoint's). `loraPath` is "" for full finetuning.
 */
async function startingPoint(r: Resolved, ckptDir: string, state: CheckpointState | null) {
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

/** The native trainer's settings: AdamW with the paper's betas, on the resolved options. */
function trainerSettings(r: Resolved, modelPath: string, loraPath: string) {
  return {
    modelPath,
    loraPath,
    nCtx: r.nCtx,
    threads: trainThreads(r.model, r.nCtx, r.threads),
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
    };
    await writeJsonAtomic(`${r.output}.train.json`, { ...result, runHash, windows: stats, steps: s.steps });
    return result;
  } finally {
    trainer.dispose();
  }
}
