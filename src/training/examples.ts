// Messages → token ids with a per-token "is a training target" flag, then → fixed-length windows.
import type { Model } from "../model/Model.js";
import { tuluSegments, type Message } from "../data/template.js";
import type { TrainMode } from "./types.js";

/** An example's token ids and, per token, whether it is a training target; typed arrays, off the JS heap. */
export interface TokenizedExample {
  tokens: Int32Array;
  /** target[i] = 1: the loss sees token i (predicted from tokens[0..i-1]). */
  target: Uint8Array;
}

/** Collects runs of ids with one target flag each, then lays them out once (no per-token JS arrays). */
class Runs {
  private runs: { ids: ArrayLike<number>; target: boolean }[] = [];
  private n = 0;

  push(ids: ArrayLike<number>, target: boolean): void {
    this.runs.push({ ids, target });
    this.n += ids.length;
  }

  done(): TokenizedExample {
    const tokens = new Int32Array(this.n);
    const target = new Uint8Array(this.n);
    let at = 0;
    for (const r of this.runs) {
      tokens.set(r.ids, at);
      target.fill(r.target ? 1 : 0, at, at + r.ids.length);
      at += r.ids.length;
    }
    return { tokens, target };
  }
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
  const out = new Runs();
  out.push(vocab.bosPrefix, false);
  const segs = tuluSegments(messages);
  let chunk: typeof segs = [];
  const flush = () => {
    const ids = vocab.tokenIds(chunk.map((s) => s.text).join(""));
    let prefix = "";
    let done = 0;
    chunk.forEach((seg, k) => {
      prefix += seg.text;
      const end =
        k === chunk.length - 1 ? ids.length : Math.min(ids.length, Math.max(done, vocab.tokenIds(prefix).length));
      out.push(ids.subarray(done, end), mode === "lm" || seg.trainable);
      done = end;
    });
    const last = chunk[chunk.length - 1];
    if (last?.eosAfter && eos >= 0) out.push([eos], mode === "lm" || last.trainable);
    chunk = [];
  };
  for (const seg of segs) {
    chunk.push(seg);
    if (seg.eosAfter) flush();
  }
  if (chunk.length) flush();
  return out.done();
}

/** Plain text for language modelling: BOS + text + EOS, every token after BOS a target. */
export function tokenizeText(vocab: Model, text: string): TokenizedExample {
  const { bos, eos } = vocab.meta;
  const out = new Runs();
  if (bos >= 0) out.push([bos], false);
  out.push(vocab.tokenIds(text), true);
  if (eos >= 0) out.push([eos], true);
  return out.done();
}

/** A window as a list of the examples it holds; `fillWindow` writes its tokens and labels when it is trained on. */
export interface Window {
  parts: TokenizedExample[];
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
 * Builds windows as examples arrive: one example per window by default (longer ones truncated to `nCtx`),
 * or packed: consecutive examples share a window while they fit whole. Only the packed examples are kept,
 * never a window's padded arrays, so memory follows the data's tokens, not windows × nCtx.
 */
export class WindowBuilder {
  private readonly windows: Window[] = [];
  private readonly stats: WindowStats = { windows: 0, truncated: 0, dropped: 0 };
  private cur: Window = { parts: [], nTargets: 0 };
  private curLen = 0;

  constructor(
    private readonly nCtx: number,
    private readonly pack: boolean,
  ) {}

  add(ex: TokenizedExample): void {
    const n = Math.min(ex.tokens.length, this.nCtx);
    if (ex.tokens.length > this.nCtx) this.stats.truncated++;
    // target[0] counts only when packed after another example (below): nothing precedes a window's first token.
    let nTargets = 0;
    for (let i = 1; i < n; i++) if (ex.target[i]) nTargets++;
    if (nTargets === 0) {
      this.stats.dropped++;
      return;
    }
    if (!this.pack || this.curLen + n > this.nCtx) this.emit();
    // Packed after another example, its first token is predicted from that example's last one.
    if (this.cur.parts.length && ex.target[0]) nTargets++;
    this.cur.parts.push(n < ex.tokens.length ? { tokens: ex.tokens.slice(0, n), target: ex.target.slice(0, n) } : ex);
    this.cur.nTargets += nTargets;
    this.curLen += n;
  }

  /** Closes the last window; returns all of them. */
  finish(): { windows: Window[]; stats: WindowStats } {
    this.emit();
    this.stats.windows = this.windows.length;
    return { windows: this.windows, stats: this.stats };
  }

  private emit(): void {
    if (this.cur.parts.length) this.windows.push(this.cur);
    this.cur = { parts: [], nTargets: 0 };
    this.curLen = 0;
  }
}

/** All examples at once (see WindowBuilder). */
export function buildWindows(
  examples: Iterable<TokenizedExample>,
  nCtx: number,
  pack: boolean,
): { windows: Window[]; stats: WindowStats } {
  const b = new WindowBuilder(nCtx, pack);
  for (const ex of examples) b.add(ex);
  return b.finish();
}

/**
 * Writes a window into `tokens` and `labels` (both nCtx long): tokens padded with `pad`, labels[i] = the
 * token at i+1 when it is a target, else -1 (masked; padding always is). Reusing the same two buffers
 * for every step keeps the per-step allocation at zero.
 */
export function fillWindow(w: Window, pad: number, tokens: Int32Array, labels: Int32Array): void {
  tokens.fill(pad);
  labels.fill(-1);
  let at = 0;
  for (const p of w.parts) {
    tokens.set(p.tokens, at);
    if (at > 0 && p.target[0]) labels[at - 1] = p.tokens[0];
    for (let i = 0; i + 1 < p.tokens.length; i++) if (p.target[i + 1]) labels[at + i] = p.tokens[i + 1];
    at += p.tokens.length;
  }
}
