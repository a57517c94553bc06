import { freemem } from "node:os";
import { InvalidOptionError } from "../errors.js";
import type { Model } from "./Model.js";

/** Bytes of the KV cache for `nCtx` cells in all: K and V, per layer, per key/value head dimension. */
export function kvCacheBytes(model: Model, nCtx: number): number {
  const m = model.meta;
  const heads = Number(m.metadata[`${m.architecture}.attention.head_count`]) || 1;
  const kvHeads = Number(m.metadata[`${m.architecture}.attention.head_count_kv`]) || heads;
  return 2 * m.nLayer * nCtx * ((m.nEmbd * kvHeads) / heads) * (model.kvCache === "f32" ? 4 : 2);
}

const GB = 2 ** 30;

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
      `${what} needs a KV cache of ${(need / GB).toFixed(1)} GB, but only ${(free / GB).toFixed(1)} GB of memory is available ` +
        `(the model was trained with a context of ${model.meta.nCtxTrain})`,
      { suggestion: `lower --ctx (at most ${model.meta.nCtxTrain} is what the model was trained for) or --parallel` },
    );
  }
}
