import { createHash } from "node:crypto";
import { escapeRegExp } from "../../util/regex.js";

/** What a judge said about one presented pair (first, second). */
export interface JudgeOutcome {
  /** log P(label_1), log P(label_2) at the answer position; null = −∞ (not among the returned tokens). */
  labelLogprobs: [number | null, number | null] | null;
  /** The judge's answer text. */
  text: string;
  /** 1 = first shown wins … 2 = second shown wins; null = unparseable (a missing row, as AlpacaEval's NaN). */
  preference: number | null;
  /** The completion as the judge returned it (OpenAI chat format), kept in the annotations. */
  raw_completion: unknown;
  /** Set when this pair could not be judged at all (not cached, so a re-run retries it). */
  error?: string;
}

/** One entry of OpenAI's chat `choices[0].logprobs.content[i]`. */
export interface ChatLogprob {
  token: string;
  logprob: number;
  bytes?: number[] | null;
  top_logprobs: { token: string; logprob: number; bytes?: number[] | null }[];
}

function logsumexp(xs: number[]): number {
  const m = Math.max(...xs);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}

/**
 * AlpacaEval's weighted `logprob_parser`: preference = 2 − P(l1) / (P(l1) + P(l2)), labels absent
 * from the top tokens count as −∞, and both absent gives a missing preference. Tokens are matched
 * after trimming whitespace, with variants summed (" M" and "M" are the same answer).
 */
export function preferenceFromTop(
  top: readonly { token: string; logprob: number }[],
  labels: readonly [string, string],
): { preference: number | null; labelLogprobs: [number | null, number | null] } {
  const per = labels.map((l) => logsumexp(top.filter((t) => t.token.trim() === l).map((t) => t.logprob)));
  const lps: [number | null, number | null] = [finiteOrNull(per[0]), finiteOrNull(per[1])];
  return { preference: preferenceFromLogprobs(per[0], per[1]), labelLogprobs: lps };
}

/** 2 − P(l1)/(P(l1)+P(l2)), computed in log space; null when both are −∞. */
export function preferenceFromLogprobs(lp1: number, lp2: number): number | null {
  const denom = logsumexp([lp1, lp2]);
  if (denom === -Infinity || Number.isNaN(denom)) return null;
  const p = 2 - Math.exp(lp1 - denom);
  return Math.min(2, Math.max(1, p));
}

/** A text answer: the trimmed answer is a label, or exactly one label appears as a word; otherwise null. */
export function preferenceFromText(text: string, labels: readonly [string, string]): number | null {
  const t = text.trim().replace(/^["'`([]+|["'`)\].:!]+$/g, "");
  if (t === labels[0]) return 1;
  if (t === labels[1]) return 2;
  const found = labels.map((l) =>
    new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(l)}($|[^\\p{L}\\p{N}])`, "u").test(text),
  );
  if (found[0] === found[1]) return null;
  return found[0] ? 1 : 2;
}

/** Parses an OpenAI-format chat completion choice: logprobs when present (AlpacaEval), else the text. */
export function outcomeFromChoice(choice: unknown, labels: readonly [string, string]): JudgeOutcome {
  const c = (choice ?? {}) as {
    message?: { content?: unknown };
    text?: unknown;
    logprobs?: { content?: unknown } | null;
  };
  const text = typeof c.message?.content === "string" ? c.message.content : typeof c.text === "string" ? c.text : "";
  const content = c.logprobs?.content;
  const first = Array.isArray(content) ? (content[0] as ChatLogprob | undefined) : undefined;
  if (first && Array.isArray(first.top_logprobs)) {
    const r = preferenceFromTop(first.top_logprobs, labels);
    return { ...r, text, raw_completion: choice };
  }
  return { labelLogprobs: null, text, preference: preferenceFromText(text, labels), raw_completion: choice };
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Whether the model's output is shown first for this instruction: a fair coin seeded by (seed, instruction). */
export function isSwitched(instruction: string, seed: number): boolean {
  return (createHash("sha256").update(`is_switched_outputs${instruction}${seed}`).digest()[0] & 1) === 1;
}

/** A preference about the presented order mapped back to (reference = output_1, model = output_2). */
export function unswitch(p: number | null, switched: boolean): number | null {
  return p === null ? null : switched ? 3 - p : p;
}
