// examples/micro.json as a config file elsewhere: its paths made absolute, its output and overrides given.
import { readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { repoRoot } from "./fixtures.js";

const examples = join(repoRoot, "examples");
const abs = (p: string) => (isAbsolute(p) ? p : resolve(examples, p));

/** Writes `<dir>/<name>.json`: micro.json with every path absolute, output `<dir>/<name>`, one thread. */
export function writeMicroConfig(dir: string, name: string, overrides: Record<string, unknown> = {}): string {
  const v = JSON.parse(readFileSync(join(examples, "micro.json"), "utf8"));
  delete v.$schema;
  v.baseModel = abs(v.baseModel);
  v.output = join(dir, name);
  v.threads = 1; // tests share the machine: one thread never oversubscribes the cores
  for (const a of v.arms) if (a.data) a.data.path = abs(a.data.path);
  v.evaluation.instructions = abs(v.evaluation.instructions);
  v.evaluation.judge = abs(v.evaluation.judge);
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ ...v, ...overrides }, null, 2));
  return path;
}
