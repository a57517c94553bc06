// Issue 25, items 4, 8 and 14: an output path that cannot be written is a typed error before any work
// (no stack trace, no run to the end, no spin under /proc), a read-only output is never replaced, a
// failed run writes no empty file, and a stray lock says what the run waits for.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { cliPath, repoRoot, sharedDir, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";
import { writeMicroConfig } from "../../helpers/microConfig.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");
const lima = join(sharedDir, "data", "lima", "lima_no_instruction.jsonl");
// A directory that exists but takes no files, for root too (chmod does not stop root).
const unwritable = "/proc/self";
// Before the fix, lab pretrain and the experiment ran for minutes or spun: a short timeout is the failure.
const fast = { timeout: 30_000 };

describe.skipIf(skip)("output paths are checked before any work (real processes)", () => {
  const dir = tempDir();
  const gen = ["generate", "-m", storiesModel, "--template", "raw", "-n", "4", "-t", "1"];
  const input = join(dir, "p.jsonl");
  writeFileSync(input, '{"instruction": "Lily"}\n');
  const train = [
    "train",
    "-m",
    storiesModel,
    "--data",
    lima,
    "--mode",
    "response",
    "--n-ctx",
    "256",
    "--max-examples",
    "2",
    "--epochs",
    "1",
    "-t",
    "1",
  ];
  const typed = (r: { code: number | null; stderr: string }, code: string, ...names: string[]) => {
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`error [${code}]`);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    for (const n of names) expect(r.stderr).toContain(n);
  };

  it("an unwritable output directory: generate, train, merge, experiment run, lab pretrain", () => {
    typed(
      iit([...gen, "--input", input, "--output", join(unwritable, "o.json")], fast),
      "OUTPUT_UNWRITABLE",
      unwritable,
    );
    typed(iit([...train, "-o", join(unwritable, "m.gguf")], fast), "OUTPUT_UNWRITABLE", unwritable);
    typed(iit(["merge", storiesModel, "-o", join(unwritable, "m.json")], fast), "OUTPUT_UNWRITABLE", unwritable);
    typed(
      iit(["lab", "pretrain", "-t", "1", "-o", join(unwritable, "base.gguf")], fast),
      "OUTPUT_UNWRITABLE",
      unwritable,
    );
  });

  it("an experiment whose output cannot be created fails at once, before the first step (no mkdir spin under /proc)", () => {
    const config = writeMicroConfig(dir, "proc", { output: "/proc/iit-no-such/out" });
    const t0 = Date.now();
    const r = iit(["experiment", "run", config], fast);
    typed(r, "OUTPUT_UNWRITABLE", "/proc/iit-no-such/out");
    expect(r.stderr).not.toContain("▶");
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it("-o naming an existing directory: train, merge, lab pretrain (before the run)", () => {
    const d = join(dir, "a-dir");
    mkdirSync(d);
    typed(iit([...train, "-o", d], fast), "OUTPUT_IS_DIRECTORY", d);
    typed(iit(["merge", storiesModel, "-o", d], fast), "OUTPUT_IS_DIRECTORY", d);
    typed(iit(["lab", "pretrain", "-t", "1", "-o", d], fast), "OUTPUT_IS_DIRECTORY", d);
    expect(existsSync(`${d}.work`)).toBe(false);
  });

  it("a read-only -o file is refused, not replaced", () => {
    const out = join(dir, "ro.json");
    writeFileSync(out, "[]\n");
    chmodSync(out, 0o444);
    typed(iit([...gen, "--input", input, "--output", out]), "OUTPUT_READ_ONLY", out);
    expect(readFileSync(out, "utf8")).toBe("[]\n");
  });

  it("a generate that fails writes no output file (no empty [])", () => {
    const long = join(dir, "long.jsonl");
    writeFileSync(
      long,
      JSON.stringify({ instruction: "a b c d e f g h i j k l m n o p q r s t u v w x y z ".repeat(4) }) + "\n",
    );
    const out = join(dir, "never.json");
    const r = iit([...gen, "--context-size", "16", "--input", long, "--output", out]);
    typed(r, "PROMPT_TOO_LONG");
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.journal.jsonl`)).toBe(false);
  });

  it("a garbage .lock makes the experiment say what it waits for, at once", async () => {
    const config = writeMicroConfig(dir, "locked");
    const plan = iit(["experiment", "run", config, "--dry-run", "--json"]);
    expect(plan.code, plan.stderr).toBe(0);
    const step = (plan.json().steps as { id: string; dir: string; inputs: { deps: Record<string, string> } }[]).find(
      (s) => Object.keys(s.inputs.deps).length === 0,
    )!;
    mkdirSync(step.dir, { recursive: true });
    writeFileSync(join(step.dir, ".lock"), "garbage, not JSON\n");
    const child = spawn(process.execPath, [cliPath, "experiment", "run", config, "--only", step.id], { cwd: repoRoot });
    let said = "";
    child.stderr.on("data", (d) => (said += d));
    const t0 = Date.now();
    while (Date.now() - t0 < 15_000 && !said.includes("waiting") && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 200));
    child.kill("SIGKILL");
    expect(said).toContain("waiting up to");
    expect(said).toContain(join(step.dir, ".lock"));
    expect(said).toContain("unreadable");
  });
});
