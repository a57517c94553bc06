import { spawnSync } from "node:child_process";
import { cliPath, repoRoot } from "./fixtures.js";

/** Runs the built CLI as a user would: a real process, stdout and stderr apart. */
export function iit(args: string[], opts: { timeout?: number } = {}) {
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: opts.timeout ?? 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}
