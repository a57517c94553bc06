// Issue 12: an experiment checks every input file before its first step; --dry-run marks missing ones.
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { cliPath, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");

describe.skipIf(skip)("iit experiment run: missing inputs (real processes)", () => {
  const dir = tempDir();
  writeFileSync(join(dir, "instructions.jsonl"), '{"instruction": "Tell me a story."}\n');
  const write = (file: string, lora: string, judge: string) =>
    writeFileSync(
      join(dir, file),
      JSON.stringify({
        name: file.replace(".json", ""),
        baseModel: storiesModel,
        output: `out-${file}`,
        threads: 1,
        generation: { template: "raw", maxTokens: 8 },
        arms: [
          { name: "base", type: "base" },
          { name: "lora", type: `lora:${lora}` },
        ],
        evaluation: { instructions: "instructions.jsonl", reference: "base", judge, bothOrders: false },
      }),
    );
  const config = join(dir, "exp.json");
  write("exp.json", "typo-adapter.gguf", "no-judge.gguf");

  it("--dry-run lists the plan and marks each missing input", () => {
    const r = iit(["experiment", "run", config, "--dry-run"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/lora\/generate[^\n]*\n\s+MISSING: lora=.*typo-adapter\.gguf/);
    expect(r.stdout).toMatch(/judge[^\n]*\n\s+MISSING: judge=.*no-judge\.gguf/);
    const j = iit(["experiment", "run", config, "--dry-run", "--json"]).json();
    expect(j.steps.find((s: { id: string }) => s.id === "base/generate").missing).toBeUndefined();
  });

  it("run fails before its first step, naming every missing file", () => {
    const r = iit(["experiment", "run", config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/EXPERIMENT_INPUT_MISSING.*typo-adapter\.gguf.*no-judge\.gguf/);
    expect(r.stderr).not.toContain("▶");
    const steps = join(dir, "out-exp.json", "steps");
    expect(existsSync(steps) ? readdirSync(steps) : []).toEqual([]);
  });

  it("a step's error names the step", () => {
    writeFileSync(join(dir, "bad.gguf"), "not a GGUF file");
    write("bad.json", "bad.gguf", storiesModel);
    const r = iit(["experiment", "run", join(dir, "bad.json")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error \[\w+\]: step lora\/generate: .*bad\.gguf/);
  });
});
