// Messages → token ids with a per-token "is a training target" flag, then → fixed-length windows.
import type { Model } from "../model/Model.js";
import { tuluSegments, type Message } from "../data/template.js";
import type { TrainMode } from "./types.js";

export interface TokenizedExample {
  tokens: number[];
  /** target[i]: the loss sees token i (predicted from tokens[0..i-1]). */
  target: boolean[];
}

/**
 * The Tulu template as open-instruct trains on it: BOS (when the GGUF adds one), tags as plain text,
 * EOS after each assistant turn. Text between EOS tokens is tokenized whole, so the ids are exactly the
 * whole text's; a segment ends where the tokenization of the text up to its end ends (open-instruct's
 * message_end_idx), so on a BPE vocabulary a token spanning a boundary belongs to the segment it ends in.
 * instruction/response modes: targets are assistant tokens and their EOS; lm: every token after BOS.
 */
export function tokenizeExample(vocab: Model, messages: Message[], mode: TrainMode): TokenizedExample {
  const { eos } = vocab.meta;
  const tokens: number[] = [...vocab.bosPrefix];
  const target: boolean[] = tokens.map(() => false);
  const segs = tuluSegments(messages);
  let chunk: typeof segs = [];
  const flush = () => {
    const ids = vocab.tokenize(chunk.map((s) => s.text).join(""));
    let prefix = "";
    let done = 0;
    chunk.forEach((seg, k) => {
      prefix += seg.text;
      const end = k === chunk.length - 1 ? ids.length : Math.min(ids.length, Math.max(done, vocab.tokenize(prefix).length));
      for (let i = done; i < end; i++) {
        tokens.push(ids[i]);
        target.push(mode === "lm" || seg.trainable);
      }
      done = end;
    });
    const last = chunk[chunk.length - 1];
    if (last?.eosAfter && eos >= 0) {
      tokens.push(eos);
      target.push(mode === "lm" || last.trainable);
    }
    chunk = [];
  };
  for (const seg of segs) {
    chunk.push(seg);
    if (seg.eosAfter) flush();
  }
  if (chunk.length) flush();
  return { tokens, target };
}

/** Plain text for language modelling: BOS + text + EOS, every token after BOS a target. */
export function tokenizeText(vocab: Model, text: string): TokenizedExample {
  const { bos, eos } = vocab.meta;
  const tokens = [...(bos >= 0 ? [bos] : []), ...vocab.tokenize(text), ...(eos >= 0 ? [eos] : [])];
  return { tokens, target: tokens.map((_, i) => i > 0 || bos < 0) };
}

export interface Window {
  tokens: Int32Array;
  /** labels[i] = the token at i+1 when it is a target, else -1 (masked). */
  labels: Int32Array;
  /** Labelled positions. */
  nTargets: number;
}

export interface WindowStats {
  windows: number;
  truncated: number;
  /** Examples with no target inside their window (e.g. all of it was instruction). */
  dropped: number;
}

/**
 * One example per window by default (padded with `pad`, padding masked; longer examples truncated),
 * or packed: consecutive examples share a window while they fit whole.
 */
export function buildWindows(examples: TokenizedExample[], nCtx: number, pad: number, pack: boolean): { windows: Window[]; stats: WindowStats } {
  const windows: Window[] = [];
  const stats: WindowStats = { windows: 0, truncated: 0, dropped: 0 };
  let cur: TokenizedExample = { tokens: [], target: [] };
  const emit = () => {
    if (cur.tokens.length === 0) return;
    const tokens = new Int32Array(nCtx).fill(pad);
    const labels = new Int32Array(nCtx).fill(-1);
    tokens.set(cur.tokens);
    let nTargets = 0;
    for (let i = 0; i + 1 < cur.tokens.length; i++) {
      if (cur.target[i + 1]) {
        labels[i] = cur.tokens[i + 1];
        nTargets++;
      }
    }
    if (nTargets > 0) windows.push({ tokens, labels, nTargets });
    cur = { tokens: [], target: [] };
  };
  for (const ex of examples) {
    let { tokens, target } = ex;
    if (tokens.length > nCtx) {
      stats.truncated++;
      tokens = tokens.slice(0, nCtx);
      target = target.slice(0, nCtx);
    }
    if (!target.slice(1).some(Boolean)) {
      stats.dropped++;
      continue;
    }
    if (!pack || cur.tokens.length + tokens.length > nCtx) emit();
    cur.tokens.push(...tokens);
    cur.target.push(...target);
  }
  emit();
  stats.windows = windows.length;
  return { windows, stats };
}
