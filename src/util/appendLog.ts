// An append-only JSON-lines file that a long run writes a record to the moment it has one (the judge's
// cache, the rule fit's evaluations): an interrupted run loses nothing, a rerun reads it back.
import { existsSync } from "node:fs";
import { open, readFile, type FileHandle } from "node:fs/promises";
import { writeFailure } from "./writeErrors.js";

export interface OpenedLog {
  log: AppendLog;
  /** The JSON values of the lines already there, in order. */
  records: unknown[];
  /** Lines that were not JSON (a torn last line from a crash mid-write). */
  skipped: number;
}

export class AppendLog {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    private handle: FileHandle | undefined,
    private needsNewline: boolean,
  ) {}

  /** Reads `path` if it exists and opens it for appending; `unwritable` makes the error for a file that cannot be opened. */
  static async open(path: string, unwritable: (cause: unknown) => Error): Promise<OpenedLog> {
    const records: unknown[] = [];
    let skipped = 0;
    let needsNewline = false;
    if (existsSync(path)) {
      const text = await readFile(path, "utf8");
      for (const line of text.split("\n")) {
        if (!line.trim()) continue;
        try {
          records.push(JSON.parse(line));
        } catch {
          skipped++;
        }
      }
      needsNewline = text.length > 0 && !text.endsWith("\n");
    }
    let handle: FileHandle;
    try {
      handle = await open(path, "a");
    } catch (cause) {
      throw unwritable(cause);
    }
    return { log: new AppendLog(path, handle, needsNewline), records, skipped };
  }

  /**
   * Appends one record as a line. Writes are serialized (lines never interleave), synced, and typed on
   * failure (a full disk is DISK_FULL); a torn line is skipped on reading, and the next line starts fresh.
   */
  async append(record: unknown): Promise<void> {
    const h = this.handle;
    if (!h) return;
    const line = (this.needsNewline ? "\n" : "") + JSON.stringify(record) + "\n";
    this.needsNewline = false;
    const write = this.chain.then(async () => {
      try {
        await h.appendFile(line);
        await h.datasync();
      } catch (err) {
        this.needsNewline = true;
        throw writeFailure(err, this.path, Buffer.byteLength(line));
      }
    });
    this.chain = write.catch(() => undefined);
    await write;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.handle?.close();
    this.handle = undefined;
  }
}
