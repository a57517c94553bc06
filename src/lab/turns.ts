// What a new turn looks like in the base's own formats, derived from the pretraining corpus's layouts
// (src/lab/text.ts): a clean answer starts none of them. Changing a layout there changes this.
import { escapeRegExp } from "../util/regex.js";
import {
  describe,
  describeShort,
  DIALOGUE_CLOSINGS,
  fact,
  LIST_HEADS,
  PAGE_END,
  PAGE_HEADS,
  QA_LAYOUTS,
  QUESTIONS,
  SPEAKERS,
} from "./text.js";
import { ATTRIBUTES, type Creature } from "./world.js";

const COLOURS = `(?:${ATTRIBUTES.colour.join("|")})`;

/**
 * A layout's literal text as a pattern: placeholders (`{X}`, `{Q}`, `{A}`) split it, `{X}` matches any
 * word, `{V}` any colour, any whitespace matches any whitespace, and the ends' whitespace and final
 * punctuation are dropped (a turn need not end as the corpus's did).
 */
function pieces(layout: string): string[] {
  return layout
    .split(/\{[QA]\}/)
    .map((p) => p.trim().replace(/[.!?]+$/, ""))
    .filter(Boolean)
    .map((p) =>
      p
        .split("{X}")
        .map((q) =>
          q
            .split("{V}")
            .map((v) => escapeRegExp(v).replace(/\s+/g, "\\s+"))
            .join(COLOURS),
        )
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

// A sample creature's every answer form: a marker that matches one of them ("is {X} {V}" inside "Sisa is
// a red fox") is an answer's own words, not a new turn, and is dropped.
const sample: Creature = {
  id: 0,
  name: "Sisa",
  colour: "red",
  home: "forest",
  food: "fish",
  kind: "fox",
  friend: "Melu",
  group: "tune",
};
const ANSWERS = [
  describe(sample),
  describeShort(sample),
  ...(["colour", "home", "food", "friend", "kind"] as const).flatMap((a) =>
    [0, 1, 2].map((k) => fact(() => 0, sample, a, k)),
  ),
].join(" ");

/** Every marker of a new turn, as a case-insensitive pattern that must stand on word boundaries. */
export const TURN_MARKERS: { kind: string; pattern: RegExp }[] = sources.flatMap(([kind, layouts]) =>
  [...new Set(layouts.flatMap(pieces))]
    .map((p) => ({ kind, pattern: new RegExp(`(?<![A-Za-z])${p}(?![A-Za-z])`, "i") }))
    .filter((m) => !m.pattern.test(ANSWERS)),
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
