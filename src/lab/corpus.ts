// The lab's data, all derived from the world: pretraining documents, tuning sets and graded prompts.
// The chat template (`<|user|>`, `<|assistant|>`) never occurs in pretraining; the words "user" and
// "assistant" do, in other dialogue layouts, as they do on the web a real base model read.
import type { Message } from "../data/template.js";
import { seededRandom } from "../util/random.js";
import {
  DIALOGUE_CLOSINGS,
  fact,
  fill,
  LIST_HEADS,
  PAGE_END,
  PAGE_HEADS,
  pageAnswer,
  QA_LAYOUTS,
  qaLayout,
  question,
  SPEAKERS,
  tuningAnswer,
} from "./text.js";
import {
  inGroup,
  PAGE_TASKS,
  pick,
  randInt,
  shuffle,
  TASKS,
  type Creature,
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

const faqPage: Doc = (r, w) => {
  const layout = pick(r, QA_LAYOUTS);
  const cs = askAbout(r, w, randInt(r, 2, 4));
  const head = r() < 0.5 ? fill(pick(r, PAGE_HEADS), () => cs[0].name) : "";
  const body = cs.map((c) => {
    const t = pick(r, PAGE_TASKS);
    return qaLayout(layout, question(c, t, randInt(r, 0, 2)), pageAnswer(r, c, t));
  });
  // Never "answer, then the end": a page closes with an open question or a closing line.
  const tail = r() < 0.5 ? question(pick(r, w.creatures), pick(r, PAGE_TASKS), randInt(r, 0, 2)) : PAGE_END;
  return head + body.join("") + tail;
};

function dialogue(o: Required<CorpusOptions>): Doc {
  return (r, w) => {
    // A named speaker is a random creature (the user's drawn first).
    const [user, assistant] = pick(r, SPEAKERS).map((role) => fill(role, () => pick(r, w.creatures).name));
    const cs = askAbout(r, w, randInt(r, 1, 3));
    const text = cs
      .map((c) => {
        const t = pick(r, PAGE_TASKS);
        return `${user}${question(c, t, randInt(r, 0, 2))}\n${assistant}${pageAnswer(r, c, t)}`;
      })
      .join("\n");
    // Most dialogues go on after the last answer: a new question, or thanks.
    if (r() < o.dialogueEndsAfterAnswer) return text;
    return `${text}\n${user}${r() < 0.5 ? question(pick(r, w.creatures), pick(r, PAGE_TASKS), 0) : pick(r, DIALOGUE_CLOSINGS)}`;
  };
}

const questionList: Doc = (r, w) => {
  const head = pick(r, LIST_HEADS);
  return (
    head +
    Array.from({ length: randInt(r, 3, 5) }, () =>
      question(pick(r, w.creatures), pick(r, PAGE_TASKS), randInt(r, 0, 2)),
    ).join("\n")
  );
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
    [storyDoc, 0.25],
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

/** About the lab tokenizer's token count: a token per word and punctuation mark, two per name. */
export const approxTokens = (s: string) =>
  (s.match(/[A-Za-z]+|[^ A-Za-z]/g) ?? []).length + (s.match(/\b[A-Z][a-z]{3}\b/g) ?? []).length;

export interface TuningRow {
  id: string;
  messages: Message[];
}

/**
 * Tuning sets over the tuning creatures: `instruct` (every task, every phrasing), `single-colour`
 * (colour questions only) and `single-kind` (what kind of animal: a task the evaluation never asks).
 * The response-tuned arm uses `instruct` with its user turns emptied.
 */
export function tuningSets(w: World): Record<"instruct" | "single-colour" | "single-kind", TuningRow[]> {
  const tune = inGroup(w, "tune");
  const row = (id: string, q: string, a: string): TuningRow => ({
    id,
    messages: [
      { role: "user", content: q },
      { role: "assistant", content: a },
    ],
  });
  return {
    instruct: tune.flatMap((c) =>
      TASKS.flatMap((t) => [0, 1, 2].map((p) => row(`${c.name}-${t}-${p}`, question(c, t, p), tuningAnswer(c, t)))),
    ),
    "single-colour": tune.flatMap((c) =>
      [0, 1, 2].map((p) => row(`${c.name}-colour-${p}`, question(c, "colour", p), tuningAnswer(c, "colour"))),
    ),
    "single-kind": tune.flatMap((c) =>
      [0, 1, 2].map((p) => row(`${c.name}-kind-${p}`, question(c, "kind", p), tuningAnswer(c, "kind"))),
    ),
  };
}

export interface LabPrompt {
  instruction: string;
  creature: string;
  task: Task;
  group: string;
}

/** Graded prompts: `dev` (every phrasing, dev creatures) and `eval` (one seeded phrasing per task, eval creatures). */
export function labPrompts(w: World): { dev: LabPrompt[]; eval: LabPrompt[] } {
  const r = seededRandom(w.seed * 32452843 + 5);
  const p = (c: Creature, t: Task, k: number): LabPrompt => ({
    instruction: question(c, t, k),
    creature: c.name,
    task: t,
    group: c.group,
  });
  return {
    dev: inGroup(w, "dev").flatMap((c) => TASKS.flatMap((t) => [0, 1, 2].map((k) => p(c, t, k)))),
    eval: inGroup(w, "evalQa", "evalProse").flatMap((c) => TASKS.map((t) => p(c, t, randInt(r, 0, 2)))),
  };
}
