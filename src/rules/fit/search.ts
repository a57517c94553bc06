// Coordinate search, then refinement with shrinking steps. The space has few parameters, each of which
// acts mostly on its own (the EOS slope sets when answers stop, a token score vetoes one token), and an
// evaluation is a greedy generation over the whole dev set: exact (the same point scores the same every
// time) but seconds to minutes long. So: one parameter at a time over a coarse grid from the empty spec
// (cheap, and every accepted change is a measured improvement), repeated until a sweep changes nothing,
// then steps between grid values halved until they stop helping or the budget runs out. No gradient
// and no noise model are needed; the seed only fixes the order of the token coordinates.
//
// Points are ordered by score, then by the tiebreak, then by how few rules are on (parsimony). So a rule
// is switched on only when it raises the score or the tiebreak (on a plateau where no single rule raises
// the score, the tiebreak is the only way up), and switched off again (each sweep tries 0 first, and a
// last pass tries every rule) when a later rule has made it redundant — a newline veto ends answers as
// well as an EOS ramp does. Every rule of the result is one whose removal costs score or tiebreak on dev.
//
// A dev set of 100 prompts is small: a rule that raises dev strict by 3 prompts may do nothing, or harm,
// on other prompts. With `keepAt`, a last step keeps a rule only where dev shows its gain beyond chance:
// each rule still on is compared with the best point without it, paired by prompt (`perPrompt`), by an
// exact two-sided sign test (McNemar on binary scores); the least significant rule at or above `keepAt`
// is switched off and the rest tested again, until every rule left is significant (backward elimination).
import { AbortError } from "../../errors.js";
import { hashJson } from "../../util/hash.js";
import { permutation } from "../../util/random.js";
import { mcnemarExact } from "../../util/stats.js";
import type { RuleScore } from "./scorers.js";
import type { Coordinate, Point, Value } from "./space.js";

export interface SearchOptions {
  space: Coordinate[];
  start: Point;
  evaluate: (p: Point) => Promise<RuleScore>;
  /** What makes two points the same evaluation (e.g. the spec they give). Defaults to the point itself. */
  keyOf?: (p: Point) => string;
  /**
   * Called with the best point after the grid sweeps converge: coordinates to add (they start at 0, off),
   * swept the same way; then called again, up to `extendRounds` times, until it adds nothing new. Lets
   * token candidates be found from what the best rules so far get wrong.
   */
  extend?: (best: Point, bestScore: RuleScore) => Promise<Coordinate[]>;
  /** Evaluations of the search at most (distinct points, the start included; the `keepAt` test may add some). */
  maxEvals: number;
  /** The search starts no evaluation after this time (ms since the epoch; the `keepAt` test still runs). */
  deadline?: number;
  /** Orders the coordinates that are neither EOS nor repetition (the candidate tokens). */
  seed: number;
  /** Grid sweeps at most before refinement. Defaults to 3. */
  sweeps?: number;
  /** Calls of `extend` at most. Defaults to 3. */
  extendRounds?: number;
  /** Step halvings in refinement. Defaults to 3. */
  halvings?: number;
  /** Prefer fewer rules on at equal score and tiebreak. Defaults to true. */
  prune?: boolean;
  /**
   * Keep a rule only when its gain on dev is significant at this level (exact two-sided sign test, paired
   * by prompt; needs `perPrompt` scores, else nothing is tested). Undefined or ≥ 1: no test.
   */
  keepAt?: number;
  signal?: AbortSignal;
  onEval?: (e: { n: number; point: Point; score: RuleScore; best: RuleScore }) => void;
}

export interface SearchResult {
  best: Point;
  bestScore: RuleScore;
  startScore: RuleScore;
  evals: number;
  /** Best score after each evaluation. */
  curve: number[];
  /** Rules (coordinates whose 0 is off) that were switched on during the search and are off in the result. */
  pruned: string[];
  /** Rules switched off by the `keepAt` test, in order, with the prompts they gained and lost on dev. */
  dropped: Dropped[];
  stopped: "converged" | "evals" | "time";
}

export interface Dropped {
  rule: string;
  gained: number;
  lost: number;
  /** Exact two-sided sign-test p-value. */
  p: number;
}

/** Prompts where `a` scored above `b`, and below. */
function pairedCounts(a: number[], b: number[]): [number, number] {
  let [up, down] = [0, 0];
  for (let i = 0; i < a.length; i++) {
    if (a[i] > b[i]) up++;
    else if (a[i] < b[i]) down++;
  }
  return [up, down];
}

const better = (a: RuleScore, b: RuleScore) => a.score > b.score || (a.score === b.score && a.tiebreak > b.tiebreak);

/** Coordinates that are rules of their own: 0 in the grid switches them off (not the EOS window or scope). */
const isRule = (c: Coordinate) => !!c.numeric && c.values.includes(0);

class Budget extends Error {
  constructor(readonly why: "evals" | "time") {
    super(why);
  }
}

const round = (v: number, int: boolean) => (int ? Math.round(v) : Number(v.toPrecision(3)));

export async function coordinateSearch(opts: SearchOptions): Promise<SearchResult> {
  const seen = new Map<string, RuleScore>();
  const curve: number[] = [];
  const order = ordered(opts.space, opts.seed);
  let best = { ...opts.start };
  let bestScore: RuleScore | undefined;
  // Coordinates added by `extend` are missing from points made before them: off.
  const on = (p: Point, k: string) => (p[k] ?? 0) !== 0;
  const rulesOn = (p: Point) => order.filter((c) => isRule(c) && on(p, c.name)).length;
  const prune = opts.prune ?? true;
  /** Whether point `p` scoring `s` beats the best so far. */
  const beats = (p: Point, s: RuleScore) => {
    const b = bestScore!;
    if (better(s, b)) return true;
    return prune && s.score === b.score && s.tiebreak === b.tiebreak && rulesOn(p) < rulesOn(best);
  };
  const everOn = new Set<string>();
  // The significance test runs after the search however it stopped (a fit cut by its budget keeps rules
  // as untested as any other), beyond the budget: at most one evaluation per rule on, per round.
  let testing = false;

  /** Scores `p` (once: a point seen before, under another best, is judged again against today's best). */
  const evaluate = async (p: Point): Promise<RuleScore> => {
    const key = (opts.keyOf ?? hashJson)(p);
    const hit = seen.get(key);
    if (hit) {
      if (beats(p, hit)) [best, bestScore] = [p, hit];
      return hit;
    }
    if (opts.signal?.aborted) throw new AbortError();
    if (!testing && seen.size >= opts.maxEvals) throw new Budget("evals");
    if (!testing && opts.deadline !== undefined && Date.now() >= opts.deadline && seen.size > 0)
      throw new Budget("time");
    const s = await opts.evaluate(p);
    seen.set(key, s);
    if (!bestScore || beats(p, s)) [best, bestScore] = [p, s];
    for (const c of order) if (isRule(c) && on(best, c.name)) everOn.add(c.name);
    curve.push(bestScore.score);
    opts.onEval?.({ n: seen.size, point: p, score: s, best: bestScore });
    return s;
  };
  const tryValue = async (c: Coordinate, v: Value) => {
    if (v === best[c.name] || (c.relevant && !c.relevant(best))) return false;
    const p = { ...best, [c.name]: v };
    await evaluate(p);
    return best === p;
  };

  const dropped: Dropped[] = [];
  /** Backward elimination: drop the least significant rule while one is not significant at `alpha`. */
  const keepSignificant = async (alpha: number) => {
    for (;;) {
      let worst: (Dropped & { point: Point; score: RuleScore }) | undefined;
      const from = best;
      for (const c of [...order].reverse()) {
        if (!isRule(c) || !on(from, c.name)) continue;
        const point = { ...from, [c.name]: 0 };
        const score = await evaluate(point);
        if (best !== from) break; // after a drop, a point without one more rule can score higher: test from it
        const [a, b] = [bestScore!.perPrompt, score.perPrompt];
        if (!a || !b) return;
        const [gained, lost] = pairedCounts(a, b);
        const p = mcnemarExact(gained, lost);
        if (p >= alpha && (!worst || p > worst.p)) worst = { rule: c.name, gained, lost, p, point, score };
      }
      if (best !== from) continue;
      if (!worst) return;
      const { point, score, ...d } = worst;
      dropped.push(d);
      [best, bestScore] = [point, score];
    }
  };

  let stopped: SearchResult["stopped"] = "converged";
  let startScore: RuleScore | undefined;
  try {
    startScore = await evaluate(best);
    const sweeps = async (coords: Coordinate[]) => {
      for (let sweep = 0; sweep < (opts.sweeps ?? 3); sweep++) {
        let moved = false;
        for (const c of coords) for (const v of c.values) moved = (await tryValue(c, v)) || moved;
        if (!moved) break;
      }
    };
    await sweeps(order);
    for (let round = 0; opts.extend && round < (opts.extendRounds ?? 3); round++) {
      const more = (await opts.extend(best, bestScore!)).filter((c) => !order.some((o) => o.name === c.name));
      if (!more.length) break;
      const added = permutation(more.length, opts.seed).map((i) => more[i]);
      order.push(...added);
      best = { ...best, ...Object.fromEntries(added.map((c) => [c.name, 0])) };
      await sweeps(added);
    }
    const steps = new Map(order.filter((c) => c.numeric).map((c) => [c.name, firstStep(c)]));
    for (let h = 0; h < (opts.halvings ?? 3); h++) {
      let moved = true;
      while (moved) {
        moved = false;
        for (const c of order) {
          const v = best[c.name];
          if (!c.numeric || typeof v !== "number" || v === 0) continue; // an off rule is not refined
          const step = steps.get(c.name)!;
          for (const next of [round(v + step, c.numeric === "int"), round(v - step, c.numeric === "int")]) {
            if (next !== 0 && Math.sign(next) === Math.sign(v)) moved = (await tryValue(c, next)) || moved;
          }
        }
      }
      for (const [k, s] of steps) steps.set(k, s / 2);
    }
    // Last, each rule still on is tried off once more (the sweeps after an extension and the refinement
    // never try 0): under parsimony it goes when the rules added after it do its work.
    if (prune) for (const c of [...order].reverse()) if (isRule(c) && on(best, c.name)) await tryValue(c, 0);
  } catch (e) {
    if (!(e instanceof Budget)) throw e;
    stopped = e.why;
  }
  if (opts.keepAt !== undefined && opts.keepAt < 1) {
    testing = true;
    await keepSignificant(opts.keepAt);
  }
  const pruned = [...everOn].filter((k) => !on(best, k) && !dropped.some((d) => d.rule === k));
  return { best, bestScore: bestScore!, startScore: startScore!, evals: seen.size, curve, stopped, pruned, dropped };
}

/** EOS first (it decides whether answers end at all), then the tokens in the seed's order, then repetition. */
function ordered(space: Coordinate[], seed: number): Coordinate[] {
  const fixed = (c: Coordinate) => c.name.startsWith("eos.") || c.name.startsWith("repetition.");
  const head = space.filter((c) => c.name.startsWith("eos."));
  const tail = space.filter((c) => c.name.startsWith("repetition."));
  const middle = space.filter((c) => !fixed(c));
  const perm = permutation(middle.length, seed);
  return [...head, ...perm.map((i) => middle[i]), ...tail];
}

/** Half the smallest gap between neighbouring grid values. */
function firstStep(c: Coordinate): number {
  const vs = (c.values as number[]).filter((v) => v !== 0).sort((a, b) => a - b);
  let gap = Infinity;
  for (let i = 1; i < vs.length; i++) gap = Math.min(gap, vs[i] - vs[i - 1]);
  return Number.isFinite(gap) ? gap / 2 : Math.abs(vs[0] ?? 1) / 2;
}
