// The grader as a judge with preferences: two answers to the same prompt are ranked by their grades,
// and only answers that earn the same grade on every criterion tie.
import type { Annotation } from "../eval/annotations.js";
import { computeWinRate } from "../eval/winrate.js";
import type { Grade } from "./grade.js";

/** The judge's total order: the first criterion on which two answers differ decides. */
export const JUDGE_ORDER = [
  "strict",
  "correct",
  "clean",
  "rightType",
  "stopped",
  "namesEntity",
] as const satisfies readonly (keyof Grade)[];

export type Graded = Pick<Grade, (typeof JUDGE_ORDER)[number]>;

/** > 0 when `a` is the better answer, < 0 when `b` is, 0 when they earn the same grades. */
export function compareGrades(a: Graded, b: Graded): number {
  for (const k of JUDGE_ORDER) if (a[k] !== b[k]) return a[k] ? 1 : -1;
  return 0;
}

/** AlpacaEval's preference with the reference as output_1: 2 the arm wins, 1 the reference wins, 1.5 a tie. */
export const preference = (reference: Graded, arm: Graded) => {
  const c = compareGrades(arm, reference);
  return c > 0 ? 2 : c < 0 ? 1 : 1.5;
};

/** One arm seed against one reference seed over the same prompts. */
export interface HeadToHead {
  arm_seed: number | null;
  reference_seed: number | null;
  /** AlpacaEval's win rate (100 · mean(preference − 1)) and its standard error over prompts, in %. */
  win_rate: number;
  standard_error: number;
  wins: number;
  ties: number;
  losses: number;
  n: number;
  /** preference − 1 per prompt (0, 0.5, 1), for intervals over prompts. */
  scores: number[];
}

/** Row i of both lists grades prompt i of the evaluation (the probe asks it in another format). */
export function headToHead(
  arm: (Graded & { instruction: string; output: string })[],
  ref: (Graded & { output: string })[],
  seeds: { arm: number | null; reference: number | null },
): HeadToHead {
  if (arm.length !== ref.length)
    throw new RangeError(`head to head: ${arm.length} answers against ${ref.length} reference answers`);
  const ann: Annotation[] = arm.map((a, i) => ({
    instruction: a.instruction,
    output_1: ref[i].output,
    generator_1: "reference",
    output_2: a.output,
    generator_2: "arm",
    preference: preference(ref[i], a),
  }));
  const m = computeWinRate(ann);
  return {
    arm_seed: seeds.arm,
    reference_seed: seeds.reference,
    win_rate: m.win_rate,
    standard_error: m.standard_error,
    wins: m.n_wins,
    ties: m.n_draws,
    losses: m.n_wins_base,
    n: m.n_total,
    scores: ann.map((a) => (a.preference as number) - 1),
  };
}
