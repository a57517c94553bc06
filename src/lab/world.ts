// The lab's synthetic world: creatures with attributes and friends, split into groups, deterministic
// from a seed. Everything the lab writes (pretraining text, tuning sets, prompts, gold answers) is
// derived from one World value, so the same seed gives the same files on every machine.
import { seededRandom } from "../util/random.js";

export const ATTRIBUTES = {
  colour: ["red", "blue", "green", "yellow", "purple", "orange", "white", "black"],
  home: ["forest", "river", "hill", "cave", "farm", "lake", "castle", "garden"],
  food: ["apples", "fish", "bread", "honey", "carrots", "nuts", "cheese", "berries"],
  kind: ["fox", "cat", "bear", "owl", "frog", "rabbit", "dog", "mouse"],
} as const;
export type Attribute = keyof typeof ATTRIBUTES;
/** The attributes a question can ask for (kind only appears inside descriptions). */
export const VALUE_TASKS = ["colour", "home", "food"] as const;
/** The evaluated tasks that the instruction-tuning set teaches (dev prompts ask only these). */
export const TUNED_TASKS = ["colour", "home", "food", "friend", "about"] as const;
/**
 * Evaluated tasks that no tuning set contains: what kind of animal a creature is, and yes/no questions
 * about its colour. The base met both in its pretraining pages; no arm is tuned on them.
 */
export const HELD_OUT_TASKS = ["kind", "yesno"] as const;
/** The tasks the evaluation asks. */
export const TASKS = [...TUNED_TASKS, ...HELD_OUT_TASKS] as const;
export type Task = (typeof TASKS)[number];
export type TunedTask = (typeof TUNED_TASKS)[number];
/** Pretraining pages and dialogues ask every evaluated task. */
export const PAGE_TASKS = TASKS;
export type PageTask = Task;
/**
 * Narrow tasks that are never evaluated, one single-task arm each (the paper's GSM, MBPP, poetry, recipes
 * and chess): a story about a creature, adding two numbers, counting, spelling a name.
 */
export const NARROW_TASKS = ["story", "sum", "count", "spell"] as const;
export type NarrowTask = (typeof NARROW_TASKS)[number];

/**
 * Groups: `tune` creatures appear in the tuning sets; `dev` are held out from tuning and choose
 * each tuned arm's training budget; `evalQa` and `evalProse` are the evaluation creatures, whose facts the
 * base saw in Q&A pages and dialogues, or only in encyclopedic prose and stories.
 */
export type Group = "tune" | "dev" | "evalQa" | "evalProse";

export interface Creature {
  id: number;
  name: string;
  colour: string;
  home: string;
  food: string;
  kind: string;
  /** Another creature's name. */
  friend: string;
  group: Group;
}

export interface WorldOptions {
  seed: number;
  /** Creatures per group. Defaults to tune 40, dev 20, evalQa 50, evalProse 20. */
  sizes?: Partial<Record<Group, number>>;
}

export interface World {
  seed: number;
  creatures: Creature[];
  byName: Map<string, Creature>;
}

export const DEFAULT_SIZES: Record<Group, number> = { tune: 40, dev: 20, evalQa: 50, evalProse: 20 };
export const GROUPS: Group[] = ["tune", "dev", "evalQa", "evalProse"];

// Names are two syllables (consonant + vowel each): two tokens apiece, so the vocabulary stays small
// whatever the number of creatures.
export const CONSONANTS = "bdfgklmnprstvz".split("");
export const VOWELS = "aeiou".split("");

export type Rng = () => number;
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
export const randInt = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
export function shuffle<T>(r: Rng, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

export function makeWorld(o: WorldOptions): World {
  const sizes = { ...DEFAULT_SIZES, ...o.sizes };
  const n = GROUPS.reduce((s, g) => s + sizes[g], 0);
  const r = seededRandom(o.seed * 7919 + 17);
  const names = new Set<string>();
  if (n > (CONSONANTS.length * VOWELS.length) ** 2 / 2) throw new RangeError(`too many creatures (${n})`);
  while (names.size < n) {
    const s = pick(r, CONSONANTS) + pick(r, VOWELS) + pick(r, CONSONANTS) + pick(r, VOWELS);
    names.add(s[0].toUpperCase() + s.slice(1));
  }
  const order = shuffle(r, [...names].sort());
  const groups = GROUPS.flatMap((g) => Array.from({ length: sizes[g] }, () => g));
  const creatures: Creature[] = order.map((name, id) => ({
    id,
    name,
    colour: pick(r, ATTRIBUTES.colour),
    home: pick(r, ATTRIBUTES.home),
    food: pick(r, ATTRIBUTES.food),
    kind: pick(r, ATTRIBUTES.kind),
    friend: "",
    group: groups[id],
  }));
  for (const c of creatures) {
    let j = Math.floor(r() * (n - 1));
    if (j >= c.id) j++;
    c.friend = creatures[j].name;
  }
  return { seed: o.seed, creatures, byName: new Map(creatures.map((c) => [c.name, c])) };
}

export const inGroup = (w: World, ...gs: Group[]) => w.creatures.filter((c) => gs.includes(c.group));
