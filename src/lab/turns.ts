// What a new turn looks like in the base's own formats, derived from the pretraining corpus's layouts
// (src/lab/text.ts): a clean answer starts none of them. Changing a layout there changes this.
import { escapeRegExp } from "../util/regex.js";
import { DIALOGUE_CLOSINGS, LIST_HEADS, PAGE_END, PAGE_HEADS, QA_LAYOUTS, QUESTIONS, SPEAKERS } from "./text.js";

/**
 * A layout's literal text as a pattern: placeholders (`{X}`, `{Q}`, `{A}`) split it, `{X}` matches any
 * word, any whitespace matches any whitespace, and the ends' whitespace and final punctuation are dropped
 * (a turn need not end as the corpus's did).
 */
function pieces(layout: string): string[] {
  return layout
    .split(/\{[QA]\}/)
    .map((p) => p.trim().replace(/[.!?]+$/, ""))
    .filter(Boolean)
    .map((p) =>
      p
        .split("{X}")
        .map((q) => escapeRegExp(q).replace(/\s+/g, "\\s+"))
        .join("[A-Za-z]+"),
    );
}

const sources: [string, readonly string[]][] = [
  ["speaker", SPEAKERS.flat()],
  ["Q&A layout", QA_LAYOUTS],
  ["question", Object.values(QUESTIONS).flat()],
  ["dialogue closing", DIALOGUE_CLOSINGS],
  ["page line", [...PAGE_HEADS, PAGE_END, ...LIST_HEADS]],
];

/** Every marker of a new turn, as a case-insensitive pattern that must stand on word boundaries. */
export const TURN_MARKERS: { kind: string; pattern: RegExp }[] = sources.flatMap(([kind, layouts]) =>
  [...new Set(layouts.flatMap(pieces))].map((p) => ({
    kind,
    pattern: new RegExp(`(?<![A-Za-z])${p}(?![A-Za-z])`, "i"),
  })),
);

/** The first marker of a new turn in a response (its kind and the text matched), or null. */
export function newTurn(output: string): { kind: string; text: string } | null {
  let first: { kind: string; text: string; at: number } | null = null;
  for (const m of TURN_MARKERS) {
    const hit = m.pattern.exec(output);
    if (hit && (!first || hit.index < first.at)) first = { kind: m.kind, text: hit[0], at: hit.index };
  }
  return first && { kind: first.kind, text: first.text };
}
