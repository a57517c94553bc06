import { readFile } from "node:fs/promises";
import { z } from "zod";
import { DatasetError, JudgeError } from "../errors.js";
import { stripBom } from "../util/bom.js";

/**
 * One AlpacaEval annotation row. `preference` is in [1, 2] (1 = output_1, the reference, wins;
 * 2 = output_2 wins; 1.5 = draw). `null` means the judge gave no usable answer: the row is missing.
 * Legacy `0` (a draw) is kept as read; metrics map it to 1.5 as AlpacaEval does.
 */
export interface Annotation {
  instruction: string;
  output_1: string;
  generator_1: string;
  output_2: string;
  generator_2: string;
  annotator?: string;
  preference: number | null;
  /** Other AlpacaEval columns (dataset, price_per_example, raw_completion, ...) are kept as is. */
  [extra: string]: unknown;
}

const rowSchema = z.looseObject({
  instruction: z.string(),
  output_1: z.string(),
  generator_1: z.string(),
  output_2: z.string(),
  generator_2: z.string(),
  annotator: z.string().nullish(),
  // Checked by hand below: zod rejects NaN/Infinity with messages that would not help here.
  preference: z.unknown(),
});

/** True when AlpacaEval would count the preference: within [1, 2], or the legacy draw 0. */
export function isValidPreference(p: number): boolean {
  return p === 0 || (p >= 1 && p <= 2);
}

/** Reads and validates an AlpacaEval annotations file (a JSON array of rows). */
export async function readAnnotations(path: string): Promise<Annotation[]> {
  let text: string;
  try {
    text = stripBom(await readFile(path, "utf8"));
  } catch (cause) {
    throw new DatasetError(
      "ANNOTATIONS_UNREADABLE",
      `cannot read annotations file ${path}: ${(cause as Error).message}`,
      {
        cause,
        suggestion: "check the path (an AlpacaEval annotations.json file)",
      },
    );
  }
  return parseAnnotations(text, path);
}

/** Validates annotation rows given as JSON text; `source` names the input in error messages. */
export function parseAnnotations(text: string, source = "<annotations>"): Annotation[] {
  const data = parseLenient(text, source);
  if (!Array.isArray(data)) {
    throw new JudgeError(
      "ANNOTATIONS_NOT_ARRAY",
      `${source}: expected a JSON array of annotation rows, got ${describe(data)}`,
      {
        suggestion: "pass AlpacaEval's annotations.json (a list of {instruction, output_1, output_2, preference, ...})",
      },
    );
  }
  return data.map((row, i) => validateRow(row, i, source));
}

const PREFERENCE_HINT = "preference must be in [1, 2] (1.5 = draw; legacy 0 = draw), or null when missing";

function validateRow(row: unknown, i: number, source: string): Annotation {
  const parsed = rowSchema.safeParse(row);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.length > 0 ? `field "${issue.path.join(".")}"` : "row";
    throw new JudgeError("ANNOTATIONS_BAD_ROW", `${source}: row ${i}: ${field}: ${issue.message}`, {
      suggestion:
        "each row needs string instruction/output_1/generator_1/output_2/generator_2 and a numeric or null preference",
    });
  }
  const r = parsed.data;
  const p = r.preference ?? null;
  if (p !== null && typeof p !== "number") {
    throw new JudgeError(
      "ANNOTATIONS_BAD_PREFERENCE",
      `${source}: row ${i}: preference must be a number or null, got ${describe(p)}`,
      {
        suggestion: PREFERENCE_HINT,
      },
    );
  }
  if (p !== null && !Number.isNaN(p) && !isValidPreference(p)) {
    throw new JudgeError("ANNOTATIONS_BAD_PREFERENCE", `${source}: row ${i}: preference ${p} is outside [1, 2]`, {
      suggestion: PREFERENCE_HINT,
    });
  }
  // NaN and null both mean "missing"; store null so the rows survive a JSON round trip.
  return { ...r, preference: p === null || Number.isNaN(p) ? null : p } as Annotation;
}

/** JSON.parse, falling back to Python's `json.dump` tokens (NaN, Infinity) outside strings. */
function parseLenient(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    const patched = text.replace(/"(?:[^"\\]|\\.)*"|\bNaN\b|\bInfinity\b/g, (m) =>
      m === "NaN" ? "null" : m === "Infinity" ? "1e999" : m,
    );
    try {
      return JSON.parse(patched);
    } catch {
      throw new JudgeError("ANNOTATIONS_NOT_JSON", `${source}: not valid JSON: ${(first as Error).message}`, {
        cause: first,
        suggestion: "pass AlpacaEval's annotations.json (a JSON array)",
      });
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  return typeof v === "object" ? "an object" : typeof v;
}
