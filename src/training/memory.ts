// What a training run holds in memory, estimated before anything is allocated: llama.cpp would
// otherwise grow until the system kills it (train --n-ctx 1000000000 reached 23.5 GB, then bad_alloc).
import { checkMemory, gb, type ModelShape } from "../model/memory.js";
import { loraParams } from "../model/loraShape.js";

export interface TrainingMemoryInput {
  /** Bytes of the base model file (its weights are loaded whole). */
  modelBytes: number;
  nCtx: number;
  /** 0 = full finetuning. */
  loraRank: number;
  loraTargets: string[];
  freezeEmbeddings: boolean;
}

export interface TrainingMemory {
  weights: number;
  /** Gradients, their accumulators (gradient accumulation) and AdamW's two moments: 4 floats per trained weight. */
  optimizer: number;
  /** One window's forward and backward graph, and its F32 KV cache. */
  activations: number;
  total: number;
}

/**
 * The estimate, in bytes. Activations count, per token, what the llama graph keeps for the backward
 * pass and as much again for its gradients: per layer the norms, Q/K/V/output, the ffn's four
 * nFf-wide tensors and the nHead × nCtx attention scores (before and after softmax); at the output,
 * logits, their softmax and gradient. docs/guarantees.md compares it with measured peak memory.
 */
export function trainingMemory(s: ModelShape, o: TrainingMemoryInput): TrainingMemory {
  const trained =
    o.loraRank > 0
      ? loraParams(s, o.loraTargets, o.loraRank)
      : o.modelBytes / 4 - (o.freezeEmbeddings ? s.nVocab * s.nEmbd : 0);
  const weights = o.modelBytes + (o.loraRank > 0 ? 4 * trained : 0);
  const optimizer = 4 * 4 * trained;
  const perLayer = 13 * s.nEmbd + 4 * s.nEmbdKv + 4 * s.nFf + s.nHead * o.nCtx;
  const perToken = 2 * s.nLayer * perLayer + 4 * s.nVocab;
  const kvCache = 2 * s.nLayer * o.nCtx * s.nEmbdKv * 4;
  const activations = 4 * o.nCtx * perToken + kvCache;
  return { weights, optimizer, activations, total: weights + optimizer + activations };
}

/** Refuses a run whose estimate exceeds the memory available now, with `deviceFree` bytes of GPU memory (TRAINING_TOO_LARGE). */
export function checkTrainingMemory(s: ModelShape, o: TrainingMemoryInput, deviceFree = 0): TrainingMemory {
  const m = trainingMemory(s, o);
  checkMemory(
    "TRAINING_TOO_LARGE",
    m.total,
    `training with --n-ctx ${o.nCtx}${o.loraRank ? ` and --lora-rank ${o.loraRank}` : ""} (weights ${gb(m.weights)} GB, ` +
      `gradients and optimizer ${gb(m.optimizer)} GB, one window's activations ${gb(m.activations)} GB)`,
    o.loraRank
      ? "lower --n-ctx or --lora-rank"
      : "lower --n-ctx, train a LoRA adapter (--lora-rank), or --freeze-embeddings",
    deviceFree,
  );
  return m;
}
