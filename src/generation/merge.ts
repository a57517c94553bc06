import { readPrompts } from "./inputs.js";
import { type OutputRecord, readGenerations } from "./outputs.js";
import { rowKeys } from "./rowKeys.js";

/**
 * Joins shard outputs; with the original input, rows follow its order and missing prompts are reported.
 * A missing part is an error (a typo must not pass as an empty shard).
 */
export async function mergeOutputs(
  parts: string[],
  input?: string,
): Promise<{ rows: OutputRecord[]; missing: string[] }> {
  const all = (await Promise.all(parts.map((p) => readGenerations(p, "part")))).flat();
  if (!input) return { rows: all, missing: [] };
  // Parts in shard order: the k-th row with an instruction answers the k-th prompt with it.
  const allKeys = rowKeys(all);
  const byKey = new Map(all.map((r, i) => [allKeys[i], r]));
  const prompts = await readPrompts(input);
  const keys = rowKeys(prompts);
  const rows = keys.flatMap((k) => (byKey.has(k) ? [byKey.get(k)!] : []));
  const missing = prompts.filter((_, i) => !byKey.has(keys[i])).map((p) => p.instruction);
  return { rows, missing };
}
