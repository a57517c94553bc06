import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { writeJsonAtomic } from "./atomicWrite.js";
import { sha256File } from "./sha256File.js";

/** sha256 of a JSON value with object keys sorted (the same value always hashes the same). */
export function hashJson(value: unknown): string {
  return createHash("sha256").update(stableJson(value)).digest("hex");
}

export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/**
 * Content hashes of input files, remembered by (path, size, mtime) in a JSON file so that a 13 GB
 * base model is read once, not on every run. Non-file specs (hf:…, openai:…, presets) hash as text.
 */
export class FileHasher {
  private memo: Record<string, { size: number; mtimeMs: number; sha256: string }> = {};
  /** Paths hashed by this process since the last save. */
  private fresh = new Set<string>();

  constructor(private readonly memoPath: string | null) {
    this.memo = this.read();
  }

  private read(): Record<string, { size: number; mtimeMs: number; sha256: string }> {
    if (!this.memoPath || !existsSync(this.memoPath)) return {};
    try {
      return JSON.parse(readFileSync(this.memoPath, "utf8"));
    } catch {
      return {};
    }
  }

  async hash(path: string): Promise<string> {
    if (!existsSync(path)) return `missing:${path}`;
    const st = statSync(path);
    if (!st.isFile()) return `not-a-file:${path}`;
    const m = this.memo[path];
    if (m && m.size === st.size && m.mtimeMs === st.mtimeMs) return m.sha256;
    const sha256 = await sha256File(path);
    this.memo[path] = { size: st.size, mtimeMs: st.mtimeMs, sha256 };
    this.fresh.add(path);
    return sha256;
  }

  /** A file's hash, or the spec itself when it is not a local file (hf:…, openai:…, a preset name). */
  async hashSpec(spec: string): Promise<string> {
    return existsSync(spec) ? this.hash(spec) : `spec:${spec}`;
  }

  /**
   * Adds this process's new hashes to the file as it is now (other processes, e.g. Slurm jobs on the
   * same output, save theirs too) and replaces it by an atomic rename: never torn, rarely missing an entry.
   */
  async save(): Promise<void> {
    if (this.memoPath && this.fresh.size) {
      const merged = this.read();
      for (const p of this.fresh) merged[p] = this.memo[p];
      await writeJsonAtomic(this.memoPath, merged);
    }
    this.fresh.clear();
  }
}
