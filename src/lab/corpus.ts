// The lab's data, all derived from the world: pretraining documents, tuning sets and graded prompts.
// The chat template (`<|user|>`, `<|assistant|>`) never occurs in pretraining; the words "user" and
// "assistant" do, in other dialogue layouts, as they do on the web a real base model read.
import type { Message } from "../data/template.js";
import { seededRandom } from "../util/random.js";
import {
  countFrom,
  DIALOGUE_CLOSINGS,
  fact,
  fill,
  LIST_HEADS,
  NARROW_QUESTIONS,
  NUMBERS,
  PAGE_END,
  PAGE_HEADS,
  pageAnswer,
  PHRASINGS,
  QA_LAYOUTS,
  qaLayout,
  question,
  QUESTIONS,
  SPEAKERS,
  spell,
  sumFact,
  wordProblem,
  yesNoValue,
} from "./text.js";
import {
  inGroup,
  PAGE_TASKS,
  pick,
  randInt,
  shuffle,
  TASKS,
  TUNED_TASKS,
  type Creature,
  type NarrowTask,
  type Rng,
  type Task,
  type World,
} from "./world.js";

/** The layout the knowledge probe asks in (the base's own pretraining format). */
export const probePrompt = (q: string) => `Q: ${q}\nA:`;

export interface CorpusOptions {
  /** Pretraining tokens to aim for (about). Defaults to 1M. */
  tokens?: number;
  /** Fraction of dialogues that end right after an answer. Defaults to 0.3. */
  dialogueEndsAfterAnswer?: number;
}

type Doc = (r: Rng, w: World) => string;

const encyclopedia: Doc = (r, w) => {
  const c = pick(r, w.creatures);
  const s = shuffle(
    r,
    (["colour", "home", "food", "friend"] as const).map((a) => fact(r, c, a)),
  );
  return [fact(r, c, "kind"), ...s.slice(0, randInt(r, 2, 4))].join(" ");
};

const qaCreatures = (w: World) => inGroup(w, "tune", "dev", "evalQa");

function askAbout(r: Rng, w: World, n: number): Creature[] {
  const pool = qaCreatures(w);
  if (r() < 0.5) return Array.from({ length: n }, () => pick(r, pool));
  const c = pick(r, pool);
  return Array.from({ length: n }, () => c);
}

/** A question of a random task in a random phrasing, and its answer as pages give it. */
function pageQa(r: Rng, c: Creature): [string, string] {
  const t = pick(r, PAGE_TASKS);
  const value = t === "yesno" ? yesNoValue(r, c) : "";
  return [question(c, t, randInt(r, 0, QUESTIONS[t].length - 1), value), pageAnswer(r, c, t, value)];
}

/** A question without its answer (a page's or a list's open question, a dialogue's next turn). */
function anyQuestion(r: Rng, w: World): string {
  const c = pick(r, w.creatures);
  const t = pick(r, PAGE_TASKS);
  return question(c, t, randInt(r, 0, QUESTIONS[t].length - 1), t === "yesno" ? yesNoValue(r, c) : "");
}

const faqPage: Doc = (r, w) => {
  const layout = pick(r, QA_LAYOUTS);
  const cs = askAbout(r, w, randInt(r, 2, 4));
  const head = r() < 0.5 ? fill(pick(r, PAGE_HEADS), () => cs[0].name) : "";
  const body = cs.map((c) => qaLayout(layout, ...pageQa(r, c)));
  // Never "answer, then the end": a page closes with an open question or a closing line.
  const tail = r() < 0.5 ? anyQuestion(r, w) : PAGE_END;
  return head + body.join("") + tail;
};

function dialogue(o: Required<CorpusOptions>): Doc {
  return (r, w) => {
    // A named speaker is a random creature (the user's drawn first).
    const [user, assistant] = pick(r, SPEAKERS).map((role) => fill(role, () => pick(r, w.creatures).name));
    const cs = askAbout(r, w, randInt(r, 1, 3));
    const text = cs
      .map((c) => {
        const [q, a] = pageQa(r, c);
        return `${user}${q}\n${assistant}${a}`;
      })
      .join("\n");
    // Most dialogues go on after the last answer: a new question, or thanks.
    if (r() < o.dialogueEndsAfterAnswer) return text;
    return `${text}\n${user}${r() < 0.5 ? anyQuestion(r, w) : pick(r, DIALOGUE_CLOSINGS)}`;
  };
}

const questionList: Doc = (r, w) => {
  const head = pick(r, LIST_HEADS);
  return head + Array.from({ length: randInt(r, 3, 5) }, () => anyQuestion(r, w)).join("\n");
};

export function story(r: Rng, c: Creature): string {
  const X = c.name;
  const Y = c.friend;
  return pick(r, [
    () =>
      `one day ${X}, the ${c.colour} ${c.kind}, left the ${c.home}. ${X} went to see ${Y}. they ate ${c.food} together. then ${X} went back to the ${c.home}. the end.`,
    () =>
      `once upon a time there was a ${c.kind} named ${X}. ${X} was ${c.colour} and lived in the ${c.home}. every day ${X} ate ${c.food}. ${X} was happy with ${Y}. the end.`,
    () =>
      `${X} was hungry. ${X} looked for ${c.food} near the ${c.home}. ${Y} came to help. ${X} and ${Y} found ${c.food}. the end.`,
  ])();
}

const storyDoc: Doc = (r, w) => story(r, pick(r, w.creatures));

/** Arithmetic and counting, as a children's workbook writes them (the base's numbers). */
const numbersDoc: Doc = (r) => {
  if (r() < 0.5) {
    const a = randInt(r, 0, 8);
    return countFrom(a, a + randInt(r, 3, 8));
  }
  return Array.from({ length: randInt(r, 2, 4) }, () => sumFact(randInt(r, 0, 10), randInt(r, 0, 10))).join(" ");
};

/** The first kind whose cumulative weight passes u (stories when the weights sum below u). */
function byWeight(kinds: [Doc, number][], u: number): Doc {
  for (const [kind, p] of kinds) {
    u -= p;
    if (u < 0) return kind;
  }
  return storyDoc;
}

/** Pretraining documents (without BOS/EOS), in a seeded order. */
export function pretrainingDocs(w: World, opts: CorpusOptions = {}): string[] {
  const o: Required<CorpusOptions> = { tokens: 1_000_000, dialogueEndsAfterAnswer: 0.3, ...opts };
  const kinds: [Doc, number][] = [
    [encyclopedia, 0.3],
    [faqPage, 0.22],
    [dialogue(o), 0.18],
    [questionList, 0.05],
    [numbersDoc, 0.03],
    [storyDoc, 0.22],
  ];
  const r = seededRandom(w.seed * 104729 + 1);
  const docs: string[] = [];
  let tokens = 0;
  while (tokens < o.tokens) {
    const kind = byWeight(kinds, r());
    const d = kind(r, w);
    docs.push(d);
    tokens += approxTokens(d) + 2;
  }
  return docs;
}

/** About the lab tokenizer's token count: a token per word and punctuation mark, two per name, one per space before a name. */
export const approxTokens = (s: string) =>
  (s.match(/[A-Za-z]+|[^ A-Za-z]/g) ?? []).length +
  (s.match(/\b[A-Z][a-z]{3}\b/g) ?? []).length +
  (s.match(/ [A-Z][a-z]{3}\b/g) ?? []).length;

export interface TuningRow {
  id: string;
  messages: Message[];
}

/** The tuning sets: `instruct` and one single-task set per narrow task. */
export type TuningSetName = "instruct" | `single-${NarrowTask}`;

const row = (id: string, q: string, a: string): TuningRow => ({
  id,
  messages: [
    { role: "user", content: q },
    { role: "assistant", content: a },
  ],
});

/** Two questions of a narrow task, filled in: `{X}` a creature, `{A}`, `{B}` numbers. */
const narrow = (task: Exclude<NarrowTask, "sum">, k: number, x: string, a = 0, b = 0) =>
  NARROW_QUESTIONS[task][k].replace("{X}", x).replace("{A}", NUMBERS[a]).replace("{B}", NUMBERS[b]);

/**
 * Tuning sets over the tuning creatures: `instruct` (the five tuned tasks in the tuning phrasings) and
 * four single-task sets of 80 examples on narrow tasks the evaluation never asks, after the paper's
 * (poetry: a story; GSM: a word problem; code and chess, symbols: counting and spelling). The response-tuned arm uses `instruct` with its user turns emptied.
 */
export function tuningSets(w: World): Record<TuningSetName, TuningRow[]> {
  const tune = inGroup(w, "tune");
  const r = seededRandom(w.seed * 15485863 + 3);
  const perCreature = (task: NarrowTask, make: (c: Creature, k: number) => [string, string]) =>
    tune.flatMap((c) => [0, 1].map((k) => row(`${c.name}-${task}-${k}`, ...make(c, k))));
  const numbers = (task: NarrowTask, make: (k: number) => [string, string]) =>
    Array.from({ length: 2 * tune.length }, (_, i) => row(`${task}-${i}`, ...make(i % 2)));
  return {
    instruct: tune.flatMap((c) =>
      TUNED_TASKS.flatMap((t) =>
        PHRASINGS.tune.map((p) => row(`${c.name}-${t}-${p}`, question(c, t, p), pageAnswer(r, c, t))),
      ),
    ),
    "single-story": perCreature("story", (c, k) => [narrow("story", k, c.name), story(r, c)]),
    "single-sum": perCreature("sum", (c, k) => wordProblem(c, randInt(r, 1, 9), randInt(r, 1, 9), k)),
    "single-count": numbers("count", (k) => {
      const a = randInt(r, 0, 10);
      const b = a + randInt(r, 2, 6);
      return [narrow("count", k, "", a, b), countFrom(a, b)];
    }),
    "single-spell": perCreature("spell", (c, k) => [narrow("spell", k, c.name), spell(c.name)]),
  };
}

export interface LabPrompt {
  instruction: string;
  creature: string;
  task: Task;
  group: string;
  /** The colour a yes/no question asks about (absent for other tasks). */
  value?: string;
}

/**
 * Graded prompts: `dev` (the dev creatures, the five tuned tasks in the dev phrasing) and `eval` (the
 * eval creatures, every task in one of the eval phrasings, seeded). No phrasing is shared between
 * tuning, dev and eval.
 */
export function labPrompts(w: World): { dev: LabPrompt[]; eval: LabPrompt[] } {
  const r = seededRandom(w.seed * 32452843 + 5);
  const p = (c: Creature, t: Task, k: number): LabPrompt => {
    const value = t === "yesno" ? yesNoValue(r, c) : undefined;
    return {
      instruction: question(c, t, k, value),
      creature: c.name,
      task: t,
      group: c.group,
      ...(value && { value }),
    };
  };
  return {
    dev: inGroup(w, "dev").flatMap((c) => TUNED_TASKS.flatMap((t) => PHRASINGS.dev.map((k) => p(c, t, k)))),
    eval: inGroup(w, "evalQa", "evalProse").flatMap((c) => TASKS.map((t) => p(c, t, pick(r, PHRASINGS.eval)))),
  };
}

/** The phrasings the rule fit asks in (part of the fit step's hash). */
export const FIT_PHRASINGS = [...PHRASINGS.tune, ...PHRASINGS.dev];

/**
 * The rule fit's dev prompts: `dev`'s creatures and tasks, each asked in one of the tuning and dev
 * phrasings in turn (never an eval one), so every task is asked three ways. A token score fitted on one
 * phrasing per task can earn its place on that phrasing alone (world 2's `the` +2.5 raised dev strict
 * from 0.58 to 0.66 and changed nothing on eval); here it has to help on every phrasing it is asked in.
 */
export function fitPrompts(w: World): LabPrompt[] {
  return inGroup(w, "dev").flatMap((c, i) =>
    TUNED_TASKS.map((t, j) => ({
      instruction: question(c, t, FIT_PHRASINGS[(i + j) % FIT_PHRASINGS.length]),
      creature: c.name,
      task: t,
      group: c.group,
    })),
  );
}
