// The dev set of a fit: any prompt file `iit generate` reads, plus each row as written (the lab scorer
// needs the creature and task that prompt files of the lab carry beside the instruction).
import { readFile } from "node:fs/promises";
import { DatasetError } from "../../errors.js";
import { readPrompts, type PromptRecord } from "../../generation/inputs.js";
import { stripBom } from "../../util/bom.js";

export async function readDev(path: string): Promise<{ prompts: PromptRecord[]; rows: unknown[] }> {
  const prompts = await readPrompts(path); // typed errors for a missing or malformed file
  if (prompts.length === 0) {
    throw new DatasetError("DATA_EMPTY", `--dev ${path} has no prompts`, {
      suggestion: 'the dev set is the only evidence of a fit: give it prompts (JSONL of {"instruction": ...})',
    });
  }
  const text = stripBom(await readFile(path, "utf8"));
  const rows: unknown[] = text.trimStart().startsWith("[")
    ? (JSON.parse(text) as unknown[])
    : text
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as unknown);
  return { prompts, rows };
}
