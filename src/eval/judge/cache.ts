import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { open, readFile, type FileHandle } from "node:fs/promises";
import { JudgeError } from "../../errors.js";
import { writeFailure } from "../../util/writeErrors.js";
import type { JudgeOutcome } from "./parse.js";

/** What identifies one judgement: the same key means the same prompt to the same judge. */
export interface CacheKeyParts {
  judge: string;
  template: string;
  labels: readonly [string, string];
  instruction: string;
  first: string;
  second: string;
}

export function cacheKey(p: CacheKeyParts): string {
  return createHash("sha256")
    .update(JSON.stringify([p.judge, p.template, p.labels, p.instruction, p.first, p.second]))
    .digest("hex");
}

interface Entry {
  key: string;
  judge: string;
  preference: number | null;
  label_logprobs: [number | null, number | null] | null;
  text: string;
  raw_completion: unknown;
  time: string;
}

/**
 * Every finished judgement, one JSON line each, appended as soon as it exists: an interrupted run
 * loses nothing, and a re-run with the same judge and template makes no calls. A torn last line
 * (a crash mid-write) is ignored.
 */
export class JudgeCache {
  private readonly entries = new Map<string, Entry>();
  private handle?: FileHandle;
  private chain: Promise<unknown> = Promise.resolve();
  private needsNewline = false;
  skippedLines = 0;

  private constructor(readonly path: string | null) {}

  /** Opens (or creates) the cache file; `null` keeps judgements in memory only. */
  static async open(path: string | null): Promise<JudgeCache> {
    const c = new JudgeCache(path);
    if (path && existsSync(path)) {
      const text = await readFile(path, "utf8");
      for (const line of text.split("\n")) {
        if (!line.trim()) continue;
        try {
          const e = JSON.parse(line) as Entry;
          if (typeof e.key === "string") c.entries.set(e.key, e);
          else c.skippedLines++;
        } catch {
          c.skippedLines++;
        }
      }
      c.needsNewline = text.length > 0 && !text.endsWith("\n");
    }
    if (path) {
      try {
        c.handle = await open(path, "a");
      } catch (cause) {
        throw new JudgeError("JUDGE_CACHE_UNWRITABLE", `cannot open the judge cache ${path}: ${(cause as Error).message}`, {
          cause,
          suggestion: "check the directory exists and is writable, or pass --cache elsewhere",
        });
      }
    }
    return c;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): JudgeOutcome | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    return { preference: e.preference, labelLogprobs: e.label_logprobs, text: e.text, raw_completion: e.raw_completion };
  }

  /** Records a judgement; writes are serialized so lines never interleave. */
  async put(key: string, judge: string, o: JudgeOutcome): Promise<void> {
    const e: Entry = {
      key,
      judge,
      preference: o.preference,
      label_logprobs: o.labelLogprobs,
      text: o.text,
      raw_completion: o.raw_completion,
      time: new Date().toISOString(),
    };
    this.entries.set(key, e);
    const h = this.handle;
    if (!h) return;
    const line = (this.needsNewline ? "\n" : "") + JSON.stringify(e) + "\n";
    this.needsNewline = false;
    // Synced, and typed on failure (a full disk); a torn line is skipped on reading, and the next line starts fresh.
    const write = this.chain.then(async () => {
      try {
        await h.appendFile(line);
        await h.datasync();
      } catch (err) {
        this.needsNewline = true;
        throw writeFailure(err, this.path!, Buffer.byteLength(line));
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
