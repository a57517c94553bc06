import type { Model } from "./Model.js";

/**
 * Token texts as they read inside running text. Detokenizing one SentencePiece token alone drops
 * its leading space ("▁m" → "m"), so each token is decoded after a fixed anchor token and the
 * anchor's text is removed. Byte-fallback tokens keep their exact byte in `bytes`.
 */
export class TokenTexts {
  private readonly cache = new Map<number, { text: string; bytes: number[] }>();
  private readonly anchor: number[];
  private readonly anchorText: string;
  private pieces?: string[];

  constructor(private readonly model: Model) {
    const a = model.tokenize("a");
    this.anchor = a.length > 0 ? [a[a.length - 1]] : [];
    this.anchorText = this.anchor.length ? model.detokenize(this.anchor) : "";
  }

  get(id: number): { text: string; bytes: number[] } {
    let v = this.cache.get(id);
    if (v) return v;
    this.pieces ??= this.model.tokenPieces();
    const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(this.pieces[id] ?? "");
    const whole = this.model.detokenize([...this.anchor, id]);
    const text = whole.startsWith(this.anchorText) ? whole.slice(this.anchorText.length) : this.model.detokenize([id]);
    v = { text, bytes: byte ? [parseInt(byte[1], 16)] : Array.from(Buffer.from(text, "utf8")) };
    this.cache.set(id, v);
    return v;
  }

  text(id: number): string {
    return this.get(id).text;
  }
}
