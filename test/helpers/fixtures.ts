// Where the tests find real models and data; native tests skip with a reason when a fixture is absent.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "..", "..");
export const sharedDir = resolve(repoRoot, "..", "shared");
export const storiesModel = process.env.IIT_TEST_MODEL ?? join(sharedDir, "models", "stories260K.gguf");
export const hasStories = existsSync(storiesModel);
export const addonBuilt = existsSync(join(repoRoot, "build", "Release", "iit.node"));
export const vocabDir = join(repoRoot, "native", "llama.cpp", "models");
export const llamaSpmVocab = join(vocabDir, "ggml-vocab-llama-spm.gguf");
export const cliPath = join(repoRoot, "dist", "cli", "main.js");

export const skipNoModel = !addonBuilt
  ? "native addon not built (npm run build:native)"
  : !hasStories
    ? `test model not found at ${storiesModel} (needs ../shared or IIT_TEST_MODEL)`
    : false;
export const skipNoAddon = addonBuilt ? false : "native addon not built (npm run build:native)";

export function tempDir(prefix = "iit-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
