import type { MessagesRow } from "./messages.js";
import type { Role } from "./template.js";

/** Counts the tokens of one text (e.g. a model's tokenizer without BOS/EOS); may be async. */
export type CountTokens = (text: string) => number | Promise<number>;

export interface Summary {
  total: number;
  mean: number;
  median: number;
  min: number;
  max: number;
}

export interface RoleStats {
  turns: number;
  /** Turns whose content is empty or whitespace (all user turns in response-tuning data). */
  empty: number;
  /** Unicode code points per turn, as Python's len() counts them. */
  chars: Summary;
  tokens?: Summary;
}

export interface DatasetStats {
  examples: number;
  turns: number;
  /** Examples with more than one user/assistant exchange. */
  multiTurn: number;
  user: RoleStats;
  assistant: RoleStats;
  /** Present only when the data has system turns. */
  system?: RoleStats;
  /** Tokens over all turns' content (template tags and BOS/EOS not included); only with a tokenizer. */
  tokens?: number;
}

/** total/mean/median/min/max of a list; all 0 for an empty list. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { total: 0, mean: 0, median: 0, min: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const total = sorted.reduce((s, v) => s + v, 0);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { total, mean: total / sorted.length, median, min: sorted[0], max: sorted[sorted.length - 1] };
}

interface Acc {
  chars: number[];
  tokens: number[];
  empty: number;
}

function roleStats(acc: Acc, withTokens: boolean): RoleStats {
  const stats: RoleStats = { turns: acc.chars.length, empty: acc.empty, chars: summarize(acc.chars) };
  if (withTokens) stats.tokens = summarize(acc.tokens);
  return stats;
}

/**
 * Size statistics of a messages dataset: examples, turns, and per-role lengths in characters and,
 * when `countTokens` is given (the CLI passes a model's tokenizer), in tokens.
 */
export async function computeStats(
  rows: readonly MessagesRow[],
  opts: { countTokens?: CountTokens } = {},
): Promise<DatasetStats> {
  const acc: Record<Role, Acc> = {
    user: { chars: [], tokens: [], empty: 0 },
    assistant: { chars: [], tokens: [], empty: 0 },
    system: { chars: [], tokens: [], empty: 0 },
  };
  let turns = 0;
  let multiTurn = 0;
  for (const row of rows) {
    turns += row.messages.length;
    if (row.messages.filter((m) => m.role === "assistant").length > 1) multiTurn++;
    for (const m of row.messages) {
      const a = acc[m.role];
      a.chars.push([...m.content].length);
      if (m.content.trim() === "") a.empty++;
      if (opts.countTokens) a.tokens.push(await opts.countTokens(m.content));
    }
  }
  const withTokens = opts.countTokens !== undefined;
  const stats: DatasetStats = {
    examples: rows.length,
    turns,
    multiTurn,
    user: roleStats(acc.user, withTokens),
    assistant: roleStats(acc.assistant, withTokens),
  };
  if (acc.system.chars.length > 0) stats.system = roleStats(acc.system, withTokens);
  if (withTokens)
    stats.tokens = (["user", "assistant", "system"] as const).reduce((s, r) => s + summarize(acc[r].tokens).total, 0);
  return stats;
}
