import { readGenerations } from "../eval/judge/pairs.js";
import { readPrompts } from "./inputs.js";
import type { OutputRecord } from "./outputs.js";

/**
 * Joins shard outputs; with the original input, rows follow its order and missing prompts are reported.
 * A missing part is an error (a typo must not pass as an empty shard).
 */
export async function mergeOutputs(parts: string[], input?: string): Promise<{ rows: OutputRecord[]; missing: string[] }> {
  const all = (await Promise.all(parts.map((p) => readGenerations(p, "part")))).flat();
  if (!input) return { rows: all, missing: [] };
  const byInstruction = new Map(all.map((r) => [r.instruction, r]));
  const prompts = await readPrompts(input);
  const rows = prompts.flatMap((p) => (byInstruction.has(p.instruction) ? [byInstruction.get(p.instruction)!] : []));
  const missing = prompts.filter((p) => !byInstruction.has(p.instruction)).map((p) => p.instruction);
  return { rows, missing };
}
