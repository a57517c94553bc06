import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import type { OutputRecord } from "./outputs.js";

/** Where finished rows are appended while a run goes: beside the output, folded into it at the end. */
export const journalPath = (output: string): string => `${output}.journal.jsonl`;

/** Rows a killed run finished but never folded into the output. A kill can cut only the line being written. */
export function readJournal(output: string): OutputRecord[] {
  const path = journalPath(output);
  if (!existsSync(path)) return [];
  const rows: OutputRecord[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    try {
      const r = line.trim() ? JSON.parse(line) : null;
      if (typeof r?.instruction === "string" && typeof r?.output === "string") rows.push(r);
    } catch {
      /* the torn line of a kill: its row was still in flight */
    }
  }
  return rows;
}

/** Appends each finished row with one synchronous write, so it is on disk before the next row starts. */
export function openJournal(output: string) {
  const fd = openSync(journalPath(output), "a");
  return {
    append: (row: OutputRecord) => void writeSync(fd, JSON.stringify(row) + "\n"),
    close: () => closeSync(fd),
    /** After the rows are in the output file. */
    remove: () => rmSync(journalPath(output), { force: true }),
  };
}
