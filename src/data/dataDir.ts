import { join, resolve } from "node:path";
import { packageRoot } from "../bindings/loadAddon.js";

/**
 * Where downloaded datasets live (`iit data get` writes there; the length-controlled win rate reads
 * `alpaca-eval-lc/` from it) — the one place that decides it, as `modelsDir` does for models: the
 * `dataDir` option if given, else `IIT_DATA_DIR`, else this package's `data/`.
 */
export function dataDir(option?: string): string {
  const dir = option || process.env.IIT_DATA_DIR;
  return dir ? resolve(dir) : join(packageRoot, "data");
}
