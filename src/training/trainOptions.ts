// Training options: defaults (one place for each) and checks, before any file is read.
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { InvalidOptionError, ModelLoadError } from "../errors.js";
import { checkThreads, chooseThreads, resolvePoll } from "../model/threads.js";
import { checkFloat32, INT32_MAX, UINT32_MAX } from "../util/numbers.js";
import { DEFAULT_LOSS_REDUCTION, LOSS_REDUCTIONS } from "./loss.js";
import { LR_SCHEDULES } from "./schedule.js";
import type { TrainOptions } from "./types.js";

export const DEFAULT_LORA_TARGETS = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"];
/** The paper's DeepSpeed config: gradient_clipping 1.0. */
export const DEFAULT_MAX_GRAD_NORM = 1.0;

/** The options with every default filled in and checked. */
export interface ResolvedTrainOptions
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

export function check(ok: boolean, message: string, suggestion?: string): void {
  if (!ok) throw new InvalidOptionError("INVALID_OPTION", message, { suggestion });
}

export function resolveTrainOptions(opts: TrainOptions): ResolvedTrainOptions {
  const r: ResolvedTrainOptions = {
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
