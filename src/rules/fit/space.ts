// The parameters `iit rules fit` searches, each with the grid its first sweeps try, and how a point of
// that space becomes a rule spec. A value of 0 switches a rule (or a token's score) off, so the empty
// spec is the search's starting point and every fitted rule has earned its place.
import type { RuleSpecInput } from "../spec.js";

export type Value = number | string;
export type Point = Record<string, Value>;

export interface Coordinate {
  name: string;
  /** Values of the grid sweeps, in the order tried; 0 switches the rule or token off. */
  values: Value[];
  /** Numeric coordinates are refined between grid values; integers stay integers. */
  numeric?: "real" | "int";
  /** Whether the coordinate changes anything at this point (an EOS window without an EOS rule does not). */
  relevant?: (p: Point) => boolean;
}

export const TOKEN_PREFIX = "token:";
/** Per-token scores tried: penalties strong enough to veto a token, and small boosts (the paper's +1). */
export const TOKEN_GRID = [0, -8, -4, -2, 1, 2];

/** The space for these candidate token texts; `maxTokens` scales the EOS window. */
export function ruleSpace(candidates: string[], maxTokens: number): Coordinate[] {
  const ends = [...new Set([Math.ceil(maxTokens / 4), Math.ceil(maxTokens / 2), maxTokens, 250])]
    .filter((e) => e >= 2)
    .sort((a, b) => a - b);
  return [
    // Slope per generated token: the paper's 0.06 suits 500-token answers; short answers need more.
    { name: "eos.slope", values: [0, 0.05, 0.1, 0.2, 0.4, 0.8], numeric: "real" },
    { name: "eos.end", values: ends, numeric: "int", relevant: (p) => p["eos.slope"] !== 0 },
    ...candidates.map((t): Coordinate => ({ name: TOKEN_PREFIX + t, values: TOKEN_GRID, numeric: "real" })),
    { name: "repetition.penalty", values: [0, -0.5, -1, -1.5, -3], numeric: "real" },
    {
      name: "repetition.scope",
      values: ["response", "after-user-tag"],
      relevant: (p) => p["repetition.penalty"] !== 0,
    },
  ];
}

/** The empty spec: every rule off, the EOS window over the whole budget, repetition on response tokens. */
export function startPoint(space: Coordinate[], maxTokens: number): Point {
  const p: Point = {};
  for (const c of space) p[c.name] = c.name === "eos.end" ? maxTokens : c.name === "repetition.scope" ? "response" : 0;
  return p;
}

/**
 * The rule spec at a point. Rules that are off carry nothing else, so points that differ only in
 * what an off rule would do give the same spec (and the same cache entry).
 */
export function specOf(p: Point, name = "fitted", description?: string): RuleSpecInput {
  const slope = Number(p["eos.slope"] ?? 0);
  const penalty = Number(p["repetition.penalty"] ?? 0);
  const scores = Object.keys(p)
    .filter((k) => k.startsWith(TOKEN_PREFIX) && p[k] !== 0)
    .map((k) => ({ text: k.slice(TOKEN_PREFIX.length), score: Number(p[k]) }));
  return {
    name,
    ...(description === undefined ? {} : { description }),
    eos: slope
      ? { enabled: true, slope, start: 0, end: Number(p["eos.end"]), after: "reset", tokens: "eos" }
      : { enabled: false },
    repetition: penalty
      ? { enabled: true, penalty, scope: p["repetition.scope"] as "response" | "after-user-tag" }
      : { enabled: false },
    tokens: scores.length ? { enabled: true, scores } : { enabled: false },
  };
}
