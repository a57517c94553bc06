import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

export const repoRoot = resolve(here, "../../..");
export const fixture = (...parts: string[]) => join(repoRoot, "test/fixtures/data", ...parts);

/** `../shared` beside the repo (real LIMA files); absent outside the project's machines. */
export const sharedLima = join(repoRoot, "../shared/data/lima");
export const hasSharedLima =
  existsSync(join(sharedLima, "lima_data.jsonl")) && existsSync(join(sharedLima, "lima_no_instruction.jsonl"));

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "iit-data-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
