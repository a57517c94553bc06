import { createHash } from "node:crypto";
import { JudgeError } from "../../errors.js";
import { AppendLog } from "../../util/appendLog.js";
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
  private log?: AppendLog;
  skippedLines = 0;

  private constructor(readonly path: string | null) {}

  /** Opens (or creates) the cache file; `null` keeps judgements in memory only. */
  static async open(path: string | null): Promise<JudgeCache> {
    const c = new JudgeCache(path);
    if (!path) return c;
    const { log, records, skipped } = await AppendLog.open(
      path,
      (cause) =>
        new JudgeError("JUDGE_CACHE_UNWRITABLE", `cannot open the judge cache ${path}: ${(cause as Error).message}`, {
          cause,
          suggestion: "check the directory exists and is writable, or pass --cache elsewhere",
        }),
    );
    c.log = log;
    c.skippedLines = skipped;
    for (const e of records as Entry[]) {
      if (typeof e?.key === "string") c.entries.set(e.key, e);
      else c.skippedLines++;
    }
    return c;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): JudgeOutcome | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    return {
      preference: e.preference,
      labelLogprobs: e.label_logprobs,
      text: e.text,
      raw_completion: e.raw_completion,
    };
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
    await this.log?.append(e);
  }

  async close(): Promise<void> {
    await this.log?.close();
  }
}
