import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { z } from "zod";
import { DatasetError, IitError } from "../errors.js";
import { writeChunksAtomic } from "../util/atomicWrite.js";
import { pythonJsonDumps } from "./pyjson.js";
import type { Message } from "./template.js";
import { stripBom } from "../util/bom.js";

/** One training example in the open-instruct / Tulu messages format (one JSONL line). */
export interface MessagesRow {
  id: string;
  dataset?: string;
  messages: Message[];
}

const messageSchema = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});

// Loose: extra keys (e.g. "source") are kept, so a round trip loses nothing.
const rowSchema = z.looseObject({
  id: z.string(),
  dataset: z.string().optional(),
  messages: z.array(messageSchema).min(1, "must hold at least one message"),
});

/**
 * Validates one parsed value as a messages row; `where` ("file:line") starts the error message.
 * Returns the value itself (not zod's copy) so the original key order survives re-serialization.
 */
export function parseMessagesRow(value: unknown, where: string): MessagesRow {
  const result = rowSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue.path.length > 0 ? `"${issue.path.join(".")}": ` : "";
    throw new DatasetError("DATA_MALFORMED", `${where}: ${path}${issue.message}`, {
      suggestion:
        'each line must be {"id": "...", "messages": [{"role": "user"|"assistant"|"system", "content": "..."}]}',
    });
  }
  return value as MessagesRow;
}

/** Throws DATA_NOT_FOUND unless `path` is a readable regular file. */
export async function assertReadableFile(path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) {
    throw new DatasetError("DATA_NOT_FOUND", `${path}: no such file`, { suggestion: "check the --input path" });
  }
}

/** Yields every line of a text file (BOM stripped) with its 1-based line number. */
export async function* readLines(path: string): AsyncGenerator<{ line: number; text: string }> {
  await assertReadableFile(path);
  const stream = createReadStream(path, { encoding: "utf8" });
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      yield { line, text: line === 1 ? stripBom(text) : text };
    }
  } finally {
    rl.close();
    stream.destroy();
  }
}

/** Parses one JSON line, naming the file and line when it is not JSON. */
export function parseJsonLine(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DatasetError("DATA_MALFORMED", `${where}: not valid JSON (${(e as Error).message})`, {
      suggestion: "JSONL needs exactly one JSON object per line",
    });
  }
}

/** Reads and validates a messages JSONL file; blank lines are ignored. */
export async function readMessagesJsonl(path: string): Promise<MessagesRow[]> {
  const rows: MessagesRow[] = [];
  for await (const { line, text } of readLines(path)) {
    if (text.trim() === "") continue;
    const where = `${path}:${line}`;
    rows.push(parseMessagesRow(parseJsonLine(text, where), where));
  }
  return rows;
}

/** A row of plain text for language-model training (`iit train --mode lm`): BOS + text + EOS. */
export interface TextRow {
  id?: string;
  text: string;
}

/** Yields the rows of a JSONL file of messages rows or `{"text": ...}` rows (language-model data), one at a time. */
export async function* readTrainingRows(path: string): AsyncGenerator<MessagesRow | TextRow> {
  for await (const { line, text } of readLines(path)) {
    if (text.trim() === "") continue;
    const where = `${path}:${line}`;
    const value = parseJsonLine(text, where);
    const isText =
      typeof value === "object" &&
      value !== null &&
      typeof (value as TextRow).text === "string" &&
      !("messages" in value);
    yield isText ? (value as TextRow) : parseMessagesRow(value, where);
  }
}

/**
 * Writes one JSON value per line (Python `json.dumps` style) to a temp file in the target's directory,
 * then renames it over the target: readers never see half a file, and a failure leaves the old one.
 */
export async function writeJsonlAtomic(path: string, rows: Iterable<unknown>): Promise<void> {
  function* lines() {
    for (const row of rows) yield pythonJsonDumps(row) + "\n";
  }
  try {
    await writeChunksAtomic(path, lines());
  } catch (e) {
    if (e instanceof IitError) throw e; // DISK_FULL, OUTPUT_UNWRITABLE name the file already
    throw new DatasetError("DATA_WRITE_FAILED", `${path}: cannot write (${(e as Error).message})`, {
      cause: e,
      suggestion: "check that the output directory is writable and the disk has space",
    });
  }
}

/**
 * Response-tuning data (the paper's `remove_instructions.py`): every user turn's content becomes "",
 * everything else (assistant and system turns, ids, extra keys, key order) is kept. Does not mutate.
 */
export function dropInstructions<T extends MessagesRow>(rows: readonly T[]): T[] {
  return rows.map((row) => ({
    ...row,
    messages: row.messages.map((m) => (m.role === "user" ? { ...m, content: "" } : m)),
  }));
}
