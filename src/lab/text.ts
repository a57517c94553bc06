// Surface forms of the lab's world: how questions are asked and facts are told.
import type { Creature, PageTask, Rng } from "./world.js";
import { pick, shuffle } from "./world.js";

/** Three phrasings per task; `{X}` is the creature's name. */
export const QUESTIONS: Record<PageTask, readonly string[]> = {
  colour: ["what colour is {X}?", "what is the colour of {X}?", "which colour is {X}?"],
  home: ["where does {X} live?", "where is the home of {X}?", "where can i find {X}?"],
  food: ["what does {X} eat?", "what food does {X} like?", "what is the favourite food of {X}?"],
  friend: ["who is the friend of {X}?", "who is {X}'s friend?", "who does {X} play with?"],
  about: ["tell me about {X}.", "can you tell me about {X}?", "describe {X}."],
  kind: ["what kind of animal is {X}?", "what animal is {X}?", "which animal is {X}?"],
};

export const question = (c: Creature, task: PageTask, phrasing: number) =>
  QUESTIONS[task][phrasing % 3].replace("{X}", c.name);

type FactAttr = "colour" | "home" | "food" | "friend" | "kind";
const FACTS: Record<FactAttr, ((c: Creature) => string)[]> = {
  colour: [
    (c) => `${c.name} is ${c.colour}.`,
    (c) => `${c.name} has ${c.colour} fur.`,
    (c) => `the colour of ${c.name} is ${c.colour}.`,
  ],
  home: [
    (c) => `${c.name} lives in the ${c.home}.`,
    (c) => `the home of ${c.name} is the ${c.home}.`,
    (c) => `${c.name} lives near the ${c.home}.`,
  ],
  food: [
    (c) => `${c.name} eats ${c.food}.`,
    (c) => `${c.name} likes to eat ${c.food}.`,
    (c) => `the favourite food of ${c.name} is ${c.food}.`,
  ],
  friend: [
    (c) => `${c.name}'s friend is ${c.friend}.`,
    (c) => `${c.name} plays with ${c.friend}.`,
    (c) => `the friend of ${c.name} is ${c.friend}.`,
  ],
  kind: [(c) => `${c.name} is a ${c.kind}.`, (c) => `${c.name} is a ${c.colour} ${c.kind}.`],
};

/** One fact sentence; `style` picks the surface form (random when omitted). */
export function fact(r: Rng, c: Creature, attr: FactAttr, style?: number): string {
  const forms = FACTS[attr];
  return (style === undefined ? pick(r, forms) : forms[style % forms.length])(c);
}

/** The canonical description: kind and colour, home, food. */
export const describe = (c: Creature) =>
  `${c.name} is a ${c.colour} ${c.kind}. ${c.name} lives in the ${c.home}. ${c.name} eats ${c.food}.`;

const SHORT: Record<Exclude<PageTask, "about">, (c: Creature) => string> = {
  kind: (c) => `a ${c.kind}.`,
  colour: (c) => `${c.colour}.`,
  home: (c) => `the ${c.home}.`,
  food: (c) => `${c.food}.`,
  friend: (c) => `${c.friend}.`,
};

/** An answer as pretraining pages give it: short, a fact sentence, or a description. */
export function pageAnswer(r: Rng, c: Creature, task: PageTask): string {
  if (task === "about") {
    if (r() < 0.5) return describe(c);
    const s = shuffle(
      r,
      (["colour", "home", "food", "friend"] as const).map((a) => fact(r, c, a)),
    );
    return [fact(r, c, "kind"), ...s.slice(0, 3)].join(" ");
  }
  return r() < 0.3 ? SHORT[task](c) : fact(r, c, task);
}

/** The answer the tuning sets teach: one canonical sentence (or the canonical description). */
export const tuningAnswer = (c: Creature, task: PageTask) =>
  task === "about" ? describe(c) : fact(() => 0, c, task, 0);

// Layouts of the pretraining corpus. They are data, not code, because the grader derives from them
// what a new turn looks like in the base's own formats (src/lab/turns.ts).

/** Replaces `{X}` (a creature's name) in a layout; `name` is called only when there is one. */
export const fill = (layout: string, name: () => string) => layout.replace("{X}", name);

/** Q&A layouts of pages: `{Q}` the question, `{A}` the answer. Pages always go on after an answer. */
export const QA_LAYOUTS = ["Q: {Q}\nA: {A}\n", "question: {Q}\nanswer: {A}\n", "{Q} {A}\n"] as const;
export const qaLayout = (layout: string, q: string, a: string) =>
  layout.replace("{Q}", () => q).replace("{A}", () => a);

/**
 * Speaker wrappers of dialogue transcripts, [user, assistant]; `{X}` is a random creature. "user" and
 * "assistant" are known role words, but never in the chat template's `<|…|>` wrapper.
 */
export const SPEAKERS: readonly (readonly [string, string])[] = [
  ["user: ", "assistant: "],
  ["user:\n", "assistant:\n"],
  ["[user] ", "[assistant] "],
  ["<user>\n", "<assistant>\n"],
  ["(user) ", "(assistant) "],
  ["someone asked: ", "the helper said: "],
  ["{X} asked: ", "{X} replied: "],
];

/** The user's last turn of a dialogue that goes on after an answer without a new question. */
export const DIALOGUE_CLOSINGS = ["thank you!", "thanks, that helps."] as const;
/** First lines of a Q&A page (`{X}`: its first creature), its closing line, and first lines of question lists. */
export const PAGE_HEADS = ["a page of questions and answers.\n", "questions about {X}.\n"] as const;
export const PAGE_END = "more questions soon.";
export const LIST_HEADS = ["some questions:\n", "things people ask:\n", ""] as const;
