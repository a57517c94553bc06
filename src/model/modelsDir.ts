import { join, resolve } from "node:path";
import { packageRoot } from "../util/packageRoot.js";

/**
 * Where `hf:` URIs and model URLs are downloaded to and looked up in — the one place that decides it:
 * the `modelsDir` option if given, else `IIT_MODELS_DIR`, else this package's `models/` (beside
 * lab-base.gguf; git-ignored except the files committed there).
 */
export function modelsDir(option?: string): string {
  const dir = option || process.env.IIT_MODELS_DIR;
  return dir ? resolve(dir) : join(packageRoot, "models");
}
