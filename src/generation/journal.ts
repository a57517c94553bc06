import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { writeFailure } from "../util/writeErrors.js";
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

/**
 * Appends each finished row with synchronous, checked writes and a sync, so it is on disk before the next
 * row starts. A failed append (a full disk) cuts the journal back to its last whole row and throws a typed
 * error; the file is opened at the first row, so a run that finishes none leaves no journal.
 */
export function openJournal(output: string) {
  const path = journalPath(output);
  let fd: number | null = null;
  return {
    append: (row: OutputRecord) => {
      const line = Buffer.from(JSON.stringify(row) + "\n");
      let size = 0;
      try {
        fd ??= openSync(path, "a");
        size = fstatSync(fd).size;
        for (let off = 0; off < line.length; ) off += writeSync(fd, line, off, line.length - off);
        fdatasyncSync(fd);
      } catch (e) {
        if (fd !== null) {
          try {
            ftruncateSync(fd, size); // no torn line for the next append to glue onto
          } catch {
            /* the next run's reader skips a torn line */
          }
        }
        throw writeFailure(e, path, line.length);
      }
    },
    close: () => {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
    /** After the rows are in the output file. */
    remove: () => rmSync(path, { force: true }),
  };
}
