import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** This package's version, from its package.json (one level above src/ and dist/), so a release bumps one place. */
export const VERSION: string = JSON.parse(
  readFileSync(fileURLToPath(new URL("../package.json", import.meta.url)), "utf8"),
).version;
