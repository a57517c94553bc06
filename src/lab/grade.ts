// The lab's grader: exact and automatic, from the world's facts. No judge model.
// An answer is graded by what it claims of the asked creature, as a person reads it: hedges, another
// creature's facts and denied values earn nothing; a new turn in any of the corpus's layouts is not clean.
import type { LabPrompt } from "./corpus.js";
import { fact, QUESTIONS } from "./text.js";
import { newTurn } from "./turns.js";
import { ATTRIBUTES, VALUE_TASKS, type Attribute, type Creature, type World } from "./world.js";

export interface Grade {
  /**
   * The answer states the asked value of the asked creature and no other value of that type (friend:
   * the asked creature's friend and no other; about: see gradeOutput).
   */
  correct: boolean;
  /** Ended with end-of-sequence within the token budget. */
  stopped: boolean;
  /** Stopped, asks nothing ("?"), no template characters, and starts no new turn in any layout of the corpus. */
  clean: boolean;
  /** correct and clean: what an instruction follower does. */
  strict: boolean;
  /**
   * The first answer given is of the asked type (about: at least two of colour, home, food mentioned;
   * yes/no: it takes a stance).
   */
  rightType: boolean;
  /** The output names the creature asked about. */
  namesEntity: boolean;
}

export const GRADE_KEYS = ["correct", "stopped", "clean", "strict", "rightType", "namesEntity"] as const;
export type GradeKey = (typeof GRADE_KEYS)[number];

/** Bump when a grade changes meaning for the same output: grade steps and graded training snapshots are redone. */
export const LAB_GRADER_VERSION = 3;

const VALUE_OF = new Map<string, Attribute>(); // value word → attribute
for (const [attr, vals] of Object.entries(ATTRIBUTES) as [Attribute, readonly string[]][])
  for (const v of vals) VALUE_OF.set(v, attr);

// Words of the lab's own surface forms: a name written in lower case counts only when it is not one of
// them (a world may have a creature called "Live").
const dummy: Creature = { id: 0, name: "X", colour: "", home: "", food: "", kind: "", friend: "", group: "tune" };
const SURFACE_WORDS = new Set(
  [
    ...Object.values(QUESTIONS).flat(),
    ...(["colour", "home", "food", "friend", "kind"] as const).flatMap((a) =>
      [0, 1, 2].map((k) => fact(() => 0, dummy, a, k)),
    ),
  ]
    .join(" ")
    .toLowerCase()
    .match(/[a-z]+/g),
);
// A sentence made only of names and these words is a bare answer ("Sisa.", "it is Sisa.", "Sisa and
// Melu."): it names friends of the creature being talked about, not a new subject.
const BARE_WORDS = new Set(["and", "or", "it", "is", "its", "the", "friend", "maybe", "both"]);
// A value or name after one of these, up to the next comma or "but", is denied, not stated ("not green, it is red").
const NEGATORS = new Set(["not", "no", "never", "nor", "isn", "doesn", "don"]);

/** A value or another creature's name the output states, in order, with the index of its sentence. */
type Mention = { attr: Attribute | "name"; word: string; sentence: number };
interface Claims {
  values: Partial<Record<Attribute, Set<string>>>;
  friends: Set<string>;
}

/**
 * What an output claims about each creature. Sentences (split at . ! ? ; and newlines) are about their
 * first named creature; a sentence naming none is about the previous sentence's subject (at first, the
 * asked creature); a bare answer names friends of that subject. Also returns the stated mentions in order.
 */
function claimsOf(w: World, asked: Creature, output: string) {
  const byLower = new Map(w.creatures.map((c) => [c.name.toLowerCase(), c]));
  const asName = (word: string) => {
    const c = byLower.get(word.toLowerCase());
    return c && (word === c.name || !SURFACE_WORDS.has(word.toLowerCase())) ? c : undefined;
  };
  const claims = new Map<string, Claims>();
  const of = (name: string) => claims.get(name) ?? claims.set(name, { values: {}, friends: new Set() }).get(name)!;
  const mentions: Mention[] = [];
  let named = false;
  let subject = asked.name;
  for (const [index, sentence] of output.split(/[.!?;\n]+/).entries()) {
    const names: string[] = [];
    const values: { attr: Attribute; word: string }[] = [];
    let bare = true;
    for (const clause of sentence.split(",")) {
      let denied = false;
      for (const word of clause.match(/[A-Za-z]+/g) ?? []) {
        const lower = word.toLowerCase();
        const c = asName(word);
        const attr = VALUE_OF.get(lower);
        if (c) {
          named ||= c === asked;
          if (!denied) names.push(c.name);
          if (!denied && c !== asked) mentions.push({ attr: "name", word: c.name, sentence: index });
        } else if (attr) {
          bare = false;
          if (!denied) values.push({ attr, word: lower }), mentions.push({ attr, word: lower, sentence: index });
        } else {
          if (NEGATORS.has(lower)) denied = true;
          else if (lower === "but") denied = false;
          if (!BARE_WORDS.has(lower)) bare = false;
        }
      }
    }
    if (names.length && !bare) subject = names[0];
    const about = of(subject);
    for (const n of names) if (n !== subject) about.friends.add(n);
    for (const v of values) {
      about.values[v.attr] ??= new Set();
      about.values[v.attr]!.add(v.word);
    }
  }
  return { mine: of(asked.name), mentions, named };
}

/**
 * The answer a yes/no question about colour `asked` gets: "yes" or "no" (not both), else "not <asked>",
 * else the one colour it states of the creature (the same colour: yes); null when it takes no stance.
 */
function yesNoStance(output: string, stated: Set<string> | undefined, asked: string): boolean | null {
  const words = new Set(output.toLowerCase().match(/[a-z]+/g));
  if (words.has("yes") !== words.has("no")) return words.has("yes");
  if (words.has("yes")) return null;
  if (asked && new RegExp(`\\bnot\\s+${asked}\\b`, "i").test(output)) return false;
  return stated?.size === 1 ? stated.has(asked) : null;
}

/** Exactly `truth`, stated once or more and nothing else. */
const only = (said: Set<string> | undefined, truth: string) => said !== undefined && said.size === 1 && said.has(truth);

/**
 * Grades one output; values and names compare case-insensitively. "about" is correct when the creature
 * is named, every attribute it states of it (colour, home, food, kind, friend) is right, and at least
 * two of colour, home and food are stated; facts stated of other creatures earn nothing.
 */
export function gradeOutput(w: World, p: LabPrompt, output: string, stopped: boolean): Grade {
  const c = w.byName.get(p.creature);
  if (!c) throw new RangeError(`creature ${p.creature} is not in world ${w.seed}`);
  const { mine, mentions, named } = claimsOf(w, c, output);
  const clean = stopped && !/[?<>|]/.test(output) && newTurn(output) === null;
  let correct: boolean;
  let rightType: boolean;
  if (p.task === "friend") {
    correct = only(mine.friends, c.friend);
    rightType = mentions[0]?.attr === "name";
  } else if (p.task === "about") {
    const stated = (["colour", "home", "food", "kind"] as const).filter((a) => mine.values[a]);
    const right =
      stated.every((a) => only(mine.values[a], c[a])) && (mine.friends.size === 0 || only(mine.friends, c.friend));
    correct = named && right && VALUE_TASKS.filter((a) => mine.values[a]).length >= 2;
    rightType = VALUE_TASKS.filter((a) => mentions.some((m) => m.attr === a)).length >= 2;
  } else if (p.task === "yesno") {
    const stance = yesNoStance(output, mine.values.colour, p.value ?? "");
    const colourOk = mine.values.colour === undefined || only(mine.values.colour, c.colour);
    // "yes, Sisa is green." answers about another creature; a new turn naming one later does not.
    const othersNamed = mentions.some((m) => m.attr === "name" && m.sentence === 0);
    correct = stance !== null && stance === (p.value === c.colour) && colourOk && !othersNamed;
    rightType = stance !== null;
  } else {
    correct = only(mine.values[p.task], c[p.task]);
    rightType = mentions[0]?.attr === p.task;
  }
  return { correct, stopped, clean, strict: correct && clean, rightType, namesEntity: named };
}

/** Probability that a guess of the asked type, drawn from the world's own distribution, is right. */
export function chanceOf(w: World, p: LabPrompt): number {
  const c = w.byName.get(p.creature)!;
  const freq = (a: Attribute, v: string) => w.creatures.filter((x: Creature) => x[a] === v).length / w.creatures.length;
  if (p.task === "friend") return 1 / (w.creatures.length - 1);
  if (p.task === "yesno") return 0.5;
  if (p.task === "about") return VALUE_TASKS.reduce((s, a) => s * freq(a, c[a]), 1);
  return freq(p.task, c[p.task]);
}

export interface GradeSummary {
  n: number;
  /** Means of each grade over the prompts. */
  correct: number;
  stopped: number;
  clean: number;
  strict: number;
  rightType: number;
  namesEntity: number;
  /** Mean chance of a right-type guess, and that chance counted only where the output had the right type. */
  chance: number;
  typeMatchedChance: number;
}

export function summarize(w: World, prompts: LabPrompt[], grades: Grade[]): GradeSummary {
  const n = grades.length;
  const mean = (k: GradeKey) => (n ? grades.filter((g) => g[k]).length / n : 0);
  const chances = prompts.map((p) => chanceOf(w, p));
  return {
    n,
    correct: mean("correct"),
    stopped: mean("stopped"),
    clean: mean("clean"),
    strict: mean("strict"),
    rightType: mean("rightType"),
    namesEntity: mean("namesEntity"),
    chance: n ? chances.reduce((a, b) => a + b, 0) / n : 0,
    typeMatchedChance: n ? chances.reduce((s, ch, i) => s + (grades[i].rightType ? ch : 0), 0) / n : 0,
  };
}

/** Summaries overall, per task and per group. */
export function breakdown(w: World, prompts: LabPrompt[], grades: Grade[]) {
  const by = (key: "task" | "group") => {
    const out: Record<string, GradeSummary> = {};
    for (const v of [...new Set(prompts.map((p) => p[key]))]) {
      const idx = prompts.map((p, i) => (p[key] === v ? i : -1)).filter((i) => i >= 0);
      out[v] = summarize(
        w,
        idx.map((i) => prompts[i]),
        idx.map((i) => grades[i]),
      );
    }
    return out;
  };
  return { all: summarize(w, prompts, grades), task: by("task"), group: by("group") };
}
