// Surface forms of the lab's world: how questions are asked and facts are told.
import type { Creature, NarrowTask, PageTask, Rng } from "./world.js";
import { ATTRIBUTES, pick, shuffle } from "./world.js";

/**
 * Five phrasings per task; `{X}` is the creature's name, `{V}` a colour (yes/no questions). Pretraining
 * pages use all five; tuning sets, dev prompts and eval prompts use disjoint ones (PHRASINGS).
 */
export const QUESTIONS: Record<PageTask, readonly string[]> = {
  colour: [
    "what colour is {X}?",
    "what is the colour of {X}?",
    "which colour is {X}?",
    "what colour does {X} have?",
    "tell me the colour of {X}.",
  ],
  home: [
    "where does {X} live?",
    "where is the home of {X}?",
    "where can i find {X}?",
    "what is {X}'s home?",
    "in which place does {X} live?",
  ],
  food: [
    "what does {X} eat?",
    "what food does {X} like?",
    "what is the favourite food of {X}?",
    "what is {X}'s food?",
    "which food does {X} eat?",
  ],
  friend: [
    "who is the friend of {X}?",
    "who is {X}'s friend?",
    "who does {X} play with?",
    "name the friend of {X}.",
    "which creature is friends with {X}?",
  ],
  about: [
    "tell me about {X}.",
    "can you tell me about {X}?",
    "describe {X}.",
    "what do you know about {X}?",
    "give a short description of {X}.",
  ],
  kind: [
    "what kind of animal is {X}?",
    "what animal is {X}?",
    "which animal is {X}?",
    "what sort of creature is {X}?",
    "what type of animal is {X}?",
  ],
  yesno: [
    "is {X} {V}?",
    "is the colour of {X} {V}?",
    "does {X} have {V} fur?",
    "is it true that {X} is {V}?",
    "would you say {X} is {V}?",
  ],
};

/**
 * Which phrasings (indices into QUESTIONS) each use may ask in: tuning sets, dev prompts and eval prompts
 * share none, so the evaluation measures phrasings no arm was tuned or selected on.
 */
export const PHRASINGS = { tune: [0, 1], dev: [2], eval: [3, 4] } as const;

/** A question; `value` fills `{V}` (a colour, for yes/no questions). */
export const question = (c: Creature, task: PageTask, phrasing: number, value = "") =>
  QUESTIONS[task][phrasing % QUESTIONS[task].length].replace("{X}", c.name).replace("{V}", value);

/** The colour a yes/no question asks about: the creature's own half of the time, else another. */
export const yesNoValue = (r: Rng, c: Creature) =>
  r() < 0.5
    ? c.colour
    : pick(
        r,
        ATTRIBUTES.colour.filter((v) => v !== c.colour),
      );

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

/** A short description: colour and home, the answer the instruction-tuning set gives to "about". */
export const describeShort = (c: Creature) => `${c.name} is ${c.colour} and lives in the ${c.home}.`;

/**
 * Answers to a yes/no question about colour `value`: the creature's colour, then the verdict ("Lita is
 * purple, so no."). A bare "yes."/"no." must be decided at the answer's first token, which a model this
 * small does near chance; stating the colour first gives it the colour to compare with. (Measured on ten
 * worlds: no arm learned the comparison either way; each prefers one answer. docs/lab.md, "The world".)
 */
const yesNo = (r: Rng, c: Creature, value: string) =>
  `${fact(r, c, "colour").slice(0, -1)}, so ${value === c.colour ? "yes" : "no"}.`;

const SHORT: Record<Exclude<PageTask, "about" | "yesno" | "friend">, (c: Creature) => string> = {
  kind: (c) => `a ${c.kind}.`,
  colour: (c) => `${c.colour}.`,
  home: (c) => `the ${c.home}.`,
  food: (c) => `${c.food}.`,
};

/**
 * An answer as pretraining pages give it: short, a fact sentence, or a description. A friend is never a
 * bare name: asked for Bulo's friend, a base that saw "Kemi." as an answer opens with the first name in
 * its context and stops ("Bulo."), where in a fact sentence it writes that name first and then the friend.
 */
export function pageAnswer(r: Rng, c: Creature, task: PageTask, value = ""): string {
  if (task === "yesno") return yesNo(r, c, value);
  if (task === "about") {
    const u = r();
    if (u < 0.4) return describe(c);
    if (u < 0.6) return describeShort(c);
    const s = shuffle(
      r,
      (["colour", "home", "food", "friend"] as const).map((a) => fact(r, c, a)),
    );
    return [fact(r, c, "kind"), ...s.slice(0, 3)].join(" ");
  }
  return task !== "friend" && r() < 0.3 ? SHORT[task](c) : fact(r, c, task);
}

/** Number words the arithmetic of the pretraining corpus and the `sum` and `count` tasks use. */
export const NUMBERS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
  "twenty",
] as const;
export const sumFact = (a: number, b: number) => `${NUMBERS[a]} plus ${NUMBERS[b]} is ${NUMBERS[a + b]}.`;

/**
 * A word problem about a creature's food and its worked answer (the paper's GSM, in this world's words):
 * `k` picks one of two framings.
 */
export function wordProblem(c: Creature, a: number, b: number, k: number): [string, string] {
  const [x, y, z] = [NUMBERS[a], NUMBERS[b], NUMBERS[a + b]];
  return k % 2
    ? [
        `${c.name} has ${x} ${c.food} and finds ${y} more. how many ${c.food} does ${c.name} have?`,
        `${x} plus ${y} is ${z}. so ${c.name} has ${z} ${c.food}.`,
      ]
    : [
        `${c.name} eats ${x} ${c.food} and then ${y} more. how many ${c.food} did ${c.name} eat?`,
        `${x} plus ${y} is ${z}. so ${c.name} ate ${z} ${c.food}.`,
      ];
}
export const countFrom = (a: number, b: number) => `${NUMBERS.slice(a, b + 1).join(", ")}.`;

/** The narrow tasks' questions (two phrasings each; `{X}` a creature, `{A}`, `{B}` numbers); `sum`: wordProblem. */
export const NARROW_QUESTIONS: Record<Exclude<NarrowTask, "sum">, readonly [string, string]> = {
  story: ["tell a story about {X}.", "write a short story about {X}."],
  count: ["count from {A} to {B}.", "please count from {A} up to {B}."],
  spell: ["spell the name {X}.", "how do you spell {X}?"],
};
/** A name spelled letter by letter: "s-i-s-a." */
export const spell = (name: string) => `${name.toLowerCase().split("").join("-")}.`;

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
