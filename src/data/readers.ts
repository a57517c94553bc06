import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse } from "csv-parse";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { DatasetError } from "../errors.js";
import { assertReadableFile, parseJsonLine, readLines } from "./messages.js";
import { stripBom } from "../util/bom.js";

/** One record of a source dataset: its 0-based position, where it is (for errors), and its fields. */
export interface SourceRow {
  index: number;
  where: string;
  row: Record<string, unknown>;
}

export const INPUT_EXTENSIONS = [".jsonl", ".ndjson", ".json", ".csv", ".parquet", ".txt", ".pgn"] as const;

/**
 * Streams the records of a dataset file, the reader chosen by extension: JSONL, JSON (an array, or JSONL
 * under a .json name), CSV with a header row, Parquet (how the Hugging Face Hub serves datasets), or plain
 * text where each line is a record `{text}` (the Hub's "text" builder, e.g. the chess PGN dataset).
 * Streaming lets a converter stop after its first N examples without reading a large file whole.
 */
export async function* readRows(path: string): AsyncGenerator<SourceRow> {
  await assertReadableFile(path);
  const ext = extname(path).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson") yield* jsonlRows(path);
  else if (ext === ".json") yield* jsonRows(path);
  else if (ext === ".csv") yield* csvRows(path);
  else if (ext === ".parquet") yield* parquetRows(path);
  else if (ext === ".txt" || ext === ".pgn") yield* textRows(path);
  else {
    throw new DatasetError(
      "DATA_UNSUPPORTED_FILE",
      `${path}: cannot tell the file type from "${ext || "(no extension)"}"`,
      {
        suggestion: `use one of ${INPUT_EXTENSIONS.join(", ")}`,
      },
    );
  }
}

function malformed(message: string, cause?: unknown, suggestion?: string): DatasetError {
  return new DatasetError("DATA_MALFORMED", message, { cause, suggestion });
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw malformed(`${where}: expected a JSON object, got ${Array.isArray(value) ? "an array" : String(value)}`);
  }
  return value as Record<string, unknown>;
}

async function* jsonlRows(path: string): AsyncGenerator<SourceRow> {
  let index = 0;
  for await (const { line, text } of readLines(path)) {
    if (text.trim() === "") continue;
    const where = `${path}:${line}`;
    yield { index: index++, where, row: asObject(parseJsonLine(text, where), where) };
  }
}

async function* jsonRows(path: string): AsyncGenerator<SourceRow> {
  const text = stripBom(await readFile(path, "utf8"));
  if (!text.trimStart().startsWith("[")) {
    yield* jsonlRows(path);
    return;
  }
  let data: unknown[];
  try {
    data = JSON.parse(text) as unknown[];
  } catch (e) {
    const pos = /position (\d+)/.exec((e as Error).message);
    const line = pos ? `:${text.slice(0, Number(pos[1])).split("\n").length}` : "";
    throw malformed(`${path}${line}: not valid JSON (${(e as Error).message})`, e);
  }
  for (let i = 0; i < data.length; i++) {
    const where = `${path}: item ${i + 1}`;
    yield { index: i, where, row: asObject(data[i], where) };
  }
}

interface CsvRecord {
  record: Record<string, string>;
  raw: string;
  info: { lines: number };
}

// The Hub loads CSV through pandas, which reads these whole-field values as missing (null): the paper's
// scripts saw them so (e.g. merve/poetry rows "without a name").
const PANDAS_NA = new Set([
  "",
  "#N/A",
  "#N/A N/A",
  "#NA",
  "-1.#IND",
  "-1.#QNAN",
  "-NaN",
  "-nan",
  "1.#IND",
  "1.#QNAN",
  "<NA>",
  "N/A",
  "NA",
  "NULL",
  "NaN",
  "None",
  "n/a",
  "nan",
  "null",
]);

async function* csvRows(path: string): AsyncGenerator<SourceRow> {
  const stream = createReadStream(path);
  const parser = stream.pipe(parse({ columns: true, bom: true, info: true, raw: true }));
  let index = 0;
  try {
    for await (const rec of parser as AsyncIterable<CsvRecord>) {
      // info.lines is the record's last line; quoted fields may span several.
      const inner = rec.raw.replace(/\r?\n$/, "").match(/\n/g)?.length ?? 0;
      const row = Object.fromEntries(Object.entries(rec.record).map(([k, v]) => [k, PANDAS_NA.has(v) ? null : v]));
      yield { index: index++, where: `${path}:${rec.info.lines - inner}`, row };
    }
  } catch (e) {
    const line = (e as { lines?: number }).lines;
    throw malformed(`${path}${line ? `:${line}` : ""}: malformed CSV (${(e as Error).message})`, e);
  } finally {
    parser.destroy();
    stream.destroy();
  }
}

async function* parquetRows(path: string): AsyncGenerator<SourceRow> {
  let file: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    throw malformed(`${path}: not a readable Parquet file (${(e as Error).message})`, e);
  }
  // One row group at a time: partial reads would decode the same row group again and again.
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end });
    } catch (e) {
      const codec = /compression codec/.test((e as Error).message)
        ? "only Snappy or uncompressed Parquet is read (what the Hub writes); re-save the file with Snappy"
        : undefined;
      throw malformed(`${path}: rows ${start + 1}-${end}: cannot decode (${(e as Error).message})`, e, codec);
    }
    for (let i = 0; i < rows.length; i++) {
      yield { index: start + i, where: `${path}: row ${start + i + 1}`, row: rows[i] };
    }
    start = end;
  }
}

async function* textRows(path: string): AsyncGenerator<SourceRow> {
  for await (const { line, text } of readLines(path)) {
    yield { index: line - 1, where: `${path}:${line}`, row: { text } };
  }
}
