import { join, resolve } from "node:path";
import { packageRoot } from "../../util/packageRoot.js";

/**
 * Where `iit data get` writes and where the docs and examples read data from — the one place that
 * decides it, as modelsDir() does for models: the `dataDir` option if given, else `IIT_DATA_DIR`, else
 * this package's `data/` (git-ignored).
 */
export function dataDir(option?: string): string {
  const dir = option || process.env.IIT_DATA_DIR;
  return dir ? resolve(dir) : join(packageRoot, "data");
}
