import { freemem } from "node:os";
import { InvalidOptionError, type IitErrorCode } from "../errors.js";
import type { Model, ModelMeta } from "./Model.js";

/** Bytes of the KV cache for `nCtx` cells in all: K and V, per layer, per key/value head dimension. */
export function kvCacheBytes(model: Model, nCtx: number): number {
  const m = model.meta;
  const heads = Number(m.metadata[`${m.architecture}.attention.head_count`]) || 1;
  const kvHeads = Number(m.metadata[`${m.architecture}.attention.head_count_kv`]) || heads;
  return 2 * m.nLayer * nCtx * ((m.nEmbd * kvHeads) / heads) * (model.kvCache === "f32" ? 4 : 2);
}

export const GB = 2 ** 30;
export const gb = (bytes: number) => (bytes / GB).toFixed(1);

/** The dimensions that size a model's memory, from its GGUF metadata (a vocab-only load has them too). */
export interface ModelShape {
  nLayer: number;
  nEmbd: number;
  /** Width of K and V: nEmbd × head_count_kv / head_count. */
  nEmbdKv: number;
  nFf: number;
  nHead: number;
  nVocab: number;
}

export function modelShape(meta: ModelMeta): ModelShape {
  const kv = (key: string) => Number(meta.metadata[`${meta.architecture}.${key}`]) || 0;
  const nEmbd = kv("embedding_length") || meta.nEmbd;
  const nHead = kv("attention.head_count") || 1;
  const nHeadKv = kv("attention.head_count_kv") || nHead;
  return {
    nLayer: kv("block_count") || meta.nLayer,
    nEmbd,
    nEmbdKv: Math.round((nEmbd * nHeadKv) / nHead),
    nFf: kv("feed_forward_length") || 4 * nEmbd,
    nHead,
    nVocab: meta.nVocab,
  };
}

/**
 * Refuses work whose memory (`need` bytes) exceeds what is available now: native code would try to
 * allocate it anyway, and the process would grow until the system kills it (or abort inside ggml).
 * `deviceFree`: free GPU memory the work can use as well.
 */
export function checkMemory(code: IitErrorCode, need: number, what: string, suggestion: string, deviceFree = 0): void {
  const free = freemem() + deviceFree;
  if (need > free) {
    throw new InvalidOptionError(
      code,
      `${what} needs about ${gb(need)} GB of memory, but only ${gb(free)} GB is available`,
      { suggestion },
    );
  }
}

/**
 * Refuses a context whose KV cache would not fit in the memory available now: llama.cpp would try to
 * allocate it anyway and the process would grow until the system kills it.
 */
export function checkContextMemory(model: Model, nCtx: number, what: string): void {
  const need = kvCacheBytes(model, nCtx);
  const free = freemem();
  if (need > free) {
    throw new InvalidOptionError(
      "CONTEXT_TOO_LARGE",
      `${what} needs a KV cache of ${gb(need)} GB, but only ${gb(free)} GB of memory is available ` +
        `(the model was trained with a context of ${model.meta.nCtxTrain})`,
      {
        suggestion: `lower --context-size (at most ${model.meta.nCtxTrain} is what the model was trained for) or --parallel`,
      },
    );
  }
}
