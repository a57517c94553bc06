import { withAbortFlag } from "../bindings/abortFlag.js";
import { callNative } from "../bindings/loadAddon.js";
import type { Model } from "./Model.js";
import { checkInt } from "../util/numbers.js";

export interface EmbedOptions {
  /** Tokens per text; longer texts are truncated (as the paper's embedder does). Defaults to min(training context, 512). */
  contextSize?: number;
  /** Prepend BOS when the model adds one. Defaults to `true`. */
  addSpecial?: boolean;
  signal?: AbortSignal;
}

/**
 * Sentence embeddings through our engine: any GGUF, mean pooling over the text's tokens, L2-normalised,
 * on a context of its own with embeddings on (the model's LoRA adapters applied). Empty texts embed to zeros.
 */
export async function embedTexts(model: Model, texts: string[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
  if (texts.length === 0) return [];
  const train = model.meta.nCtxTrain;
  const nCtx = opts.contextSize ?? Math.min(train > 0 ? train : 512, 512);
  checkInt(nCtx, "contextSize", { min: 8 });
  const seqs = texts.map((t) =>
    t === ""
      ? new Int32Array(0)
      : Int32Array.from(model.tokenize(t, { addSpecial: opts.addSpecial ?? true }).slice(0, nCtx)),
  );
  return withAbortFlag(opts.signal, (flag) =>
    callNative(() =>
      model._native.embed(
        seqs,
        {
          nCtx,
          nThreads: model.threadsFor(nCtx),
          poll: model.poll,
          loras: model.loras.map((l, index) => ({ index, scale: l.scale })),
        },
        flag,
      ),
    ),
  );
}

/** Dot product: the cosine similarity of two L2-normalised vectors. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
