// The lab's grader: exact and automatic, from the world's facts. No judge model.
import type { LabPrompt } from "./corpus.js";
import { ATTRIBUTES, VALUE_TASKS, type Creature, type World } from "./world.js";

export interface Grade {
  /** The first answer of the asked type is the truth (friend: the first other name; about: see below). */
  correct: boolean;
  /** Ended with end-of-sequence within the token budget. */
  stopped: boolean;
  /** Stopped, asks nothing ("?"), and starts no new turn (no "<", "|", ">", "user", "assistant"). */
  clean: boolean;
  /** correct and clean: what an instruction follower does. */
  strict: boolean;
  /** The first answer given is of the asked type (about: at least two of colour, home, food mentioned). */
  rightType: boolean;
  /** The output names the creature asked about. */
  namesEntity: boolean;
}

export const GRADE_KEYS = ["correct", "stopped", "clean", "strict", "rightType", "namesEntity"] as const;
export type GradeKey = (typeof GRADE_KEYS)[number];

const VALUE_OF = new Map<string, string>(); // word → attribute
for (const [attr, vals] of Object.entries(ATTRIBUTES)) for (const v of vals) VALUE_OF.set(v, attr);

const words = (text: string): string[] => text.match(/[A-Za-z]+/g) ?? [];

/**
 * Grades one output. "about" is correct when at least two of colour, home and food are right, none is
 * wrong, and the creature is named.
 */
export function gradeOutput(w: World, p: LabPrompt, output: string, stopped: boolean): Grade {
  const c = w.byName.get(p.creature);
  if (!c) throw new RangeError(`creature ${p.creature} is not in world ${w.seed}`);
  const ws = words(output);
  const namesEntity = ws.includes(c.name);
  const has = (v: string) => ws.includes(v);
  const clean = stopped && !/[?<>|]/.test(output) && !ws.some((x) => x === "user" || x === "assistant");
  // The first answer-like word: an attribute value, or another creature's name.
  const firstAny = ws.find((x) => VALUE_OF.has(x) || (w.byName.has(x) && x !== c.name));
  let correct: boolean;
  let rightType: boolean;
  if (p.task === "friend") {
    correct = ws.find((x) => w.byName.has(x) && x !== c.name) === c.friend;
    rightType = firstAny !== undefined && w.byName.has(firstAny);
  } else if (p.task === "about") {
    const good = VALUE_TASKS.filter((a) => has(c[a])).length;
    const bad = ws.filter((x) => VALUE_TASKS.some((a) => VALUE_OF.get(x) === a && x !== c[a])).length;
    correct = good >= 2 && bad === 0 && namesEntity;
    rightType = VALUE_TASKS.filter((a) => ws.some((x) => VALUE_OF.get(x) === a)).length >= 2;
  } else {
    const task = p.task;
    correct = ws.find((x) => VALUE_OF.get(x) === task) === c[task];
    rightType = firstAny !== undefined && VALUE_OF.get(firstAny) === task;
  }
  return { correct, stopped, clean, strict: correct && clean, rightType, namesEntity };
}

/** Probability that a guess of the asked type, drawn from the world's own distribution, is right. */
export function chanceOf(w: World, p: LabPrompt): number {
  const c = w.byName.get(p.creature)!;
  const freq = (a: (typeof VALUE_TASKS)[number], v: string) => w.creatures.filter((x: Creature) => x[a] === v).length / w.creatures.length;
  if (p.task === "friend") return 1 / (w.creatures.length - 1);
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
      out[v] = summarize(w, idx.map((i) => prompts[i]), idx.map((i) => grades[i]));
    }
    return out;
  };
  return { all: summarize(w, prompts, grades), task: by("task"), group: by("group") };
}
