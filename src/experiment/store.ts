import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";

/** Writes JSON through a temporary file and a rename; creates the directory. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeTextAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

export async function writeTextAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // Unique across the machines sharing an output folder, so concurrent writers never share a temporary file.
  const tmp = join(dirname(path), `.${basename(path)}.${hostname()}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, path);
}

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
