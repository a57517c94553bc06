import { DatasetError } from "../../errors.js";
import type { MessagesRow } from "../messages.js";
import type { SourceRow } from "../readers.js";

export interface ConvertContext {
  /** Something the user should know (rows skipped, a split selected); shown on stderr or in --json. */
  note(message: string): void;
}

export interface Converter {
  /** The source file and fields it reads (shown in --help). */
  reads: string;
  /** The paper's cap on the number of examples; undefined = all. */
  defaultLimit?: number;
  /** Yields examples in source order; the caller stops pulling once it has enough. */
  convert(rows: AsyncIterable<SourceRow>, ctx: ConvertContext): AsyncIterable<MessagesRow>;
}

/** A DATA_MALFORMED error that names the record. */
export function malformedRow(src: SourceRow, what: string): DatasetError {
  return new DatasetError("DATA_MALFORMED", `${src.where}: ${what}`, {
    suggestion: `check that the file is the dataset --format expects (fields: ${Object.keys(src.row).join(", ") || "none"})`,
  });
}

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
}

/** A field that must be present (a missing one means the wrong file or --format). */
export function field(src: SourceRow, name: string): unknown {
  if (!(name in src.row)) throw malformedRow(src, `no field "${name}"`);
  return src.row[name];
}

/** A field that must be a string ("" allowed). */
export function requireString(src: SourceRow, name: string): string {
  const v = field(src, name);
  if (typeof v !== "string") throw malformedRow(src, `field "${name}" must be a string, got ${describe(v)}`);
  return v;
}

/** A string field that may be missing in the data (null or ""): returns null then. */
export function optionalText(src: SourceRow, name: string): string | null {
  const v = field(src, name);
  if (v === null || v === undefined || v === "") return null;
  if (typeof v !== "string") throw malformedRow(src, `field "${name}" must be a string, got ${describe(v)}`);
  return v;
}

/** A field that must be a list of strings (JSON array, or a Parquet list column). */
export function requireStringList(src: SourceRow, name: string): string[] {
  const v = field(src, name);
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw malformedRow(src, `field "${name}" must be a list of strings, got ${describe(v)}`);
  }
  return v as string[];
}

/** A single-turn example, keys in the order the paper's scripts write them. */
export function example(dataset: string, id: string, user: string, assistant: string): MessagesRow {
  return {
    dataset,
    id,
    messages: [
      { role: "user", content: user },
      { role: "assistant", content: assistant },
    ],
  };
}
