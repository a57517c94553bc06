import { accessSync, constants, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { cliPath, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");

describe.skipIf(skip)("iit generate / merge / inspect (real processes)", () => {
  const dir = tempDir();
  const prompts = ["Once upon a time", "Lily", "Tom had a dog", "The sun", "One day"];
  const input = join(dir, "prompts.jsonl");
  writeFileSync(input, prompts.map((p) => JSON.stringify({ instruction: p })).join("\n") + "\n");
  const common = ["-m", storiesModel, "--template", "raw", "-n", "24", "-t", "1"];

  it("--prompt --json prints one object with the documented fields", () => {
    const r = iit(["generate", ...common, "-p", "Once upon a time", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const o = r.json();
    expect(Object.keys(o).sort()).toEqual([
      "generator",
      "instruction",
      "n_tokens",
      "output",
      "placement",
      "stop_reason",
    ]);
    expect(o.placement).toMatchObject({ backend: "cpu", device: "CPU", layersOffloaded: 0 });
    expect(o).toMatchObject({
      instruction: "Once upon a time",
      generator: "stories260K",
      n_tokens: 24,
      stop_reason: "max_tokens",
    });
    expect(o.output).toMatch(/^, there was a little girl named Lily/);
  });

  it("--input writes model_outputs.json in input order and resumes without redoing work", () => {
    const out = join(dir, "out.json");
    // A partial earlier run: its row must be kept as is, not regenerated.
    writeFileSync(out, JSON.stringify([{ instruction: "Lily", output: "KEEP", generator: "old" }]));
    const r = iit(["generate", ...common, "--input", input, "--output", out, "--parallel", "2", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ total: 5, generated: 4, skipped: 1, aborted: false });
    const rows = JSON.parse(readFileSync(out, "utf8"));
    expect(rows.map((x: { instruction: string }) => x.instruction)).toEqual(prompts);
    expect(rows[1].output).toBe("KEEP");
    expect(rows[0]).toMatchObject({ generator: "stories260K", n_tokens: 24, stop_reason: "max_tokens" });
    expect(rows[0].generator_config).toMatchObject({ template: "raw", maxTokens: 24, temperature: 0 });
    const again = iit(["generate", ...common, "--input", input, "--output", out, "--json"]);
    expect(again.json()).toMatchObject({ generated: 0, skipped: 5 });
  });

  it("--shard k/n parts merge back into the unsharded result", () => {
    const whole = join(dir, "whole.json");
    expect(iit(["generate", ...common, "--input", input, "--output", whole]).code).toBe(0);
    const parts = [1, 2].map((k) => {
      const p = join(dir, `part${k}.json`);
      expect(iit(["generate", ...common, "--input", input, "--output", p, "--shard", `${k}/2`]).code).toBe(0);
      return p;
    });
    const merged = join(dir, "merged.json");
    const m = iit(["merge", ...parts, "--input", input, "-o", merged, "--json"]);
    expect(m.json()).toMatchObject({ rows: 5, missing: 0 });
    expect(JSON.parse(readFileSync(merged, "utf8"))).toEqual(JSON.parse(readFileSync(whole, "utf8")));
  });

  it("errors name the input and exit non-zero without a stack trace", () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, '{"instruction":"ok"}\nnot json\n');
    const r = iit(["generate", ...common, "--input", bad, "--output", join(dir, "x.json")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error \[DATA_MALFORMED\].*bad\.jsonl:2/);
    expect(existsSync(join(dir, "x.json"))).toBe(false);
    const t = iit(["generate", "-m", join(dir, "nope.gguf"), "-p", "x"]);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain("nope.gguf");
    expect(iit(["generate", ...common, "-p", "x", "--top-p", "abc"]).code).toBe(2);
  });

  it("the bin is executable, so `npx iit` works after every build", () => {
    expect(() => accessSync(cliPath, constants.X_OK)).not.toThrow();
  });

  it("inspect --json reports the model's metadata", () => {
    const r = iit(["inspect", "-m", storiesModel, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({
      architecture: "llama",
      nParams: 292800,
      nCtxTrain: 2048,
      nVocab: 512,
      bos: 1,
      eos: 2,
    });
  });
});
