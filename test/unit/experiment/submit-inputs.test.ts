// Issue 25 item 7: `experiment submit --slurm` refuses missing inputs like `run` does, before any sbatch;
// its --dry-run marks them. No cluster needed: the check comes first.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { cliPath, hasStories, storiesModel, tempDir } from "../../helpers/fixtures.js";

const skip = !existsSync(cliPath)
  ? "CLI not built (npm run build:ts)"
  : !hasStories
    ? `test model not found at ${storiesModel}`
    : false;

describe.skipIf(skip)("iit experiment submit --slurm: missing inputs (no cluster)", () => {
  const dir = tempDir("iit-submit-inputs-");
  writeFileSync(join(dir, "instructions.jsonl"), '{"instruction": "Tell me a story."}\n');
  const config = join(dir, "exp.json");
  writeFileSync(
    config,
    JSON.stringify({
      name: "exp",
      baseModel: storiesModel,
      output: "out",
      threads: 1,
      generation: { template: "raw", maxTokens: 8 },
      arms: [
        { name: "base", type: "base" },
        { name: "lora", type: "lora:typo-adapter.gguf" },
      ],
      evaluation: { instructions: "instructions.jsonl", reference: "base", judge: "no-judge.gguf", bothOrders: false },
    }),
  );

  it("submit refuses with EXPERIMENT_INPUT_MISSING, naming every missing file, and submits nothing", () => {
    const r = iit(["experiment", "submit", config, "--slurm"]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/EXPERIMENT_INPUT_MISSING.*typo-adapter\.gguf.*no-judge\.gguf/);
    expect(existsSync(join(dir, "out", "slurm"))).toBe(false);
  });

  it("--dry-run still prints every script and marks the missing inputs", () => {
    const r = iit(["experiment", "submit", config, "--slurm", "--dry-run"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/# ---- lora\/generate ----\n# MISSING: lora=\S*typo-adapter\.gguf\n#!\/bin\/bash/);
    expect(r.stdout).toMatch(/# ---- base\/generate ----\n#!\/bin\/bash/);
    expect(r.stderr).toMatch(/MISSING/);
    const j = iit(["experiment", "submit", config, "--slurm", "--dry-run", "--json"]).json();
    const byStep = new Map(j.submitted.map((s: { step: string }) => [s.step, s]));
    expect((byStep.get("lora/generate") as { missing?: object }).missing).toEqual({
      lora: join(dir, "typo-adapter.gguf"),
    });
    expect((byStep.get("base/generate") as { missing?: object }).missing).toBeUndefined();
  });
});
