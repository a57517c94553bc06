import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository (or installed package) root: src/util or dist/util are two levels down. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
