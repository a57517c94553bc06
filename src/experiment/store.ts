import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** What a finished step leaves in its directory (`step.json`): its presence marks the step done. */
export interface StepManifest {
  id: string;
  kind: string;
  arm: string;
  seed: number | null;
  hash: string;
  inputs: Record<string, unknown>;
  /** The step's main output files, relative to its directory. */
  outputs: Record<string, string>;
  result: Record<string, unknown>;
  started: string;
  finished: string;
  seconds: number;
}

export const MANIFEST = "step.json";

export function readManifest(dir: string): StepManifest | null {
  const p = join(dir, MANIFEST);
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, "utf8")) as StepManifest;
  } catch {
    return null; // a torn manifest means the step did not finish
  }
}
