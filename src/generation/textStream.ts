import type { TokenTexts } from "../model/tokenText.js";

/**
 * Generated tokens → the text a stream may show so far. Bytes go through a streaming UTF-8 decoder,
 * so a character split over byte tokens appears whole once its last byte arrives, never as U+FFFD
 * halves. Text that could be the start of a stop string is held back until it is known not to be
 * one (the engine cuts the output before a stop string, and streamed text cannot be taken back).
 */
export class TextStream {
  private readonly decoder = new TextDecoder("utf-8");
  private text = "";
  private shown = 0;

  constructor(
    private readonly texts: TokenTexts,
    private readonly stops: string[] = [],
  ) {}

  /** The new text this token makes safe to show ("" while a character or a possible stop string is incomplete). */
  push(token: number): string {
    this.text += this.decoder.decode(Uint8Array.from(this.texts.get(token).bytes), { stream: true });
    const safe = this.safeEnd();
    if (safe <= this.shown) return "";
    const delta = this.text.slice(this.shown, safe);
    this.shown = safe;
    return delta;
  }

  /** The rest of the final output (the engine's, cut at a stop string), once generation has ended. */
  finish(output: string): string {
    const rest = output.startsWith(this.text.slice(0, this.shown)) ? output.slice(this.shown) : "";
    this.shown += rest.length;
    return rest;
  }

  private safeEnd(): number {
    let end = this.text.length;
    for (const stop of this.stops) {
      if (!stop) continue;
      const at = this.text.indexOf(stop, Math.max(0, this.shown - stop.length + 1));
      if (at >= 0) end = Math.min(end, at);
      // the longest tail of the text that begins this stop string
      for (let k = Math.min(stop.length - 1, this.text.length); k > 0; k--) {
        if (this.text.endsWith(stop.slice(0, k))) {
          end = Math.min(end, this.text.length - k);
          break;
        }
      }
    }
    return Math.max(end, this.shown);
  }
}
