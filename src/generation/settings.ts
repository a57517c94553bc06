import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import { InvalidOptionError } from "../errors.js";
import type { OutputRecord } from "./outputs.js";

/** Throughput only: rows made with another value are the same rows. */
const IGNORED = new Set(["parallel"]);
/** A setting's flag: the kebab-case of its name. */
const flag = (k: string) => "--" + k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
/** A symlink compares as its target; a path that no longer exists, as written (absolute). */
const where = (p: string): string => {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
};
const local = (v: unknown) => (typeof v === "string" && !/^(hf:|https?:\/\/)/.test(v) ? where(v) : v);
/** Paths compare by where they point, so `./m.gguf`, `/abs/m.gguf` and a link to it are the same setting. */
const canon = (k: string, v: unknown): string =>
  JSON.stringify(v, (key, x) => (key === "model" || key === "path" || (key === "" && k === "model") ? local(x) : x)) ??
  "null";

/** The settings (by flag) in which `then` differs from `now`. */
export function changedSettings(then: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(then), ...Object.keys(now)]);
  return [...keys]
    .filter((k) => !IGNORED.has(k) && canon(k, then[k]) !== canon(k, now[k]))
    .map((k) => `${flag(k)} ${canon(k, then[k])} -> ${canon(k, now[k])}`);
}

/**
 * A resume reuses rows made earlier; they must have been made with the settings of this run, or the file
 * would mix two experiments silently. Rows without a recorded generator_config are taken as they are.
 */
export function checkResumeSettings(
  output: string,
  reused: OutputRecord[],
  config: Record<string, unknown> | undefined,
): void {
  if (!config) return;
  for (const r of reused) {
    const diff = r.generator_config ? changedSettings(r.generator_config, config) : [];
    if (diff.length) {
      throw new InvalidOptionError(
        "RESUME_SETTINGS_CHANGED",
        `${output} holds rows made with other settings (${diff.join("; ")}), e.g. for ${JSON.stringify(r.instruction.slice(0, 60))}`,
        {
          suggestion: "write to a new --output, or pass --force to keep those rows and generate only the missing ones",
        },
      );
    }
  }
}
