import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { DatasetError } from "../errors.js";
import { stripBom } from "../util/bom.js";

/** One row of AlpacaEval's model_outputs.json, plus our provenance fields. */
export interface OutputRecord {
  instruction: string;
  output: string;
  generator: string;
  dataset?: string;
  n_tokens?: number;
  stop_reason?: string;
  generator_config?: Record<string, unknown>;
  [k: string]: unknown;
}

export async function readOutputs(path: string): Promise<OutputRecord[]> {
  if (!existsSync(path)) return [];
  let v: unknown;
  try {
    v = JSON.parse(stripBom(await readFile(path, "utf8")));
  } catch (e) {
    throw new DatasetError("DATA_MALFORMED", `${path}: not valid JSON (${(e as Error).message})`, {
      suggestion: "move the file away to start over",
    });
  }
  if (!Array.isArray(v)) throw new DatasetError("DATA_MALFORMED", `${path}: expected a JSON array of model outputs`);
  v.forEach((r, i) => {
    if (typeof r?.instruction !== "string" || typeof r?.output !== "string") {
      throw new DatasetError("DATA_MALFORMED", `${path}: item ${i} needs string "instruction" and "output"`);
    }
  });
  return v as OutputRecord[];
}

/** As readOutputs, but a missing file is an error naming `what` it should hold (a typo must not read as empty). */
export async function readGenerations(path: string, what: string): Promise<OutputRecord[]> {
  if (!existsSync(path)) {
    throw new DatasetError("DATA_NOT_FOUND", `${what} file ${path} does not exist`, {
      suggestion: "pass an AlpacaEval model_outputs.json (a JSON array of {instruction, output, generator})",
    });
  }
  return readOutputs(path);
}
