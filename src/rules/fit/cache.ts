// Every finished evaluation of a rule spec, one JSON line each, appended the moment it is scored: a rerun
// or a resume after Ctrl-C replays the search and pays nothing for the evaluations already done.
import { hashJson } from "../../util/hash.js";
import { RuleFitError } from "../../errors.js";
import { AppendLog } from "../../util/appendLog.js";
import type { RuleScore } from "./scorers.js";

/** What makes two evaluations the same: the spec, the model's bytes, the dev set, the scorer and the generation. */
export interface EvalKeyParts {
  spec: unknown;
  modelSha: string;
  devHash: string;
  scorer: string;
  generation: Record<string, unknown>;
}

export const evalKey = (p: EvalKeyParts) => hashJson([p.spec, p.modelSha, p.devHash, p.scorer, p.generation]);

export interface CachedEval extends RuleScore {
  key: string;
  /** Kept for the empty spec and the best spec of each discovery round: candidate discovery reads them. */
  outputs?: { output: string; tokens: number[]; stopReason: string }[];
}

export class EvalCache {
  private readonly entries = new Map<string, CachedEval>();
  private log?: AppendLog;

  private constructor(readonly path: string | null) {}

  /** Opens (or creates) the cache file; `null` keeps evaluations in memory only. A torn last line is ignored. */
  static async open(path: string | null): Promise<EvalCache> {
    const c = new EvalCache(path);
    if (!path) return c;
    const { log, records } = await AppendLog.open(
      path,
      (cause) =>
        new RuleFitError("FIT_CACHE_UNWRITABLE", `cannot open the fit cache ${path}: ${(cause as Error).message}`, {
          cause,
          suggestion: "check the directory exists and is writable, or pass --cache elsewhere",
        }),
    );
    c.log = log;
    for (const e of records as CachedEval[]) {
      if (typeof e?.key === "string" && typeof e.score === "number") c.entries.set(e.key, e);
    }
    return c;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CachedEval | undefined {
    return this.entries.get(key);
  }

  async put(e: CachedEval): Promise<void> {
    this.entries.set(e.key, e);
    await this.log?.append(e);
  }

  async close(): Promise<void> {
    await this.log?.close();
  }
}
