import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadExperimentConfig, parseExperimentConfig } from "../../../src/experiment/config.js";
import { experimentJsonSchema } from "../../../src/experiment/configSchema.js";
import { matchesOnly } from "../../../src/experiment/plan.js";
import type { Step } from "../../../src/experiment/types.js";
import { iit } from "../../helpers/cli.js";
import { cliPath, repoRoot, tempDir } from "../../helpers/fixtures.js";

const micro = () => JSON.parse(readFileSync(join(repoRoot, "examples", "micro.json"), "utf8"));
const parse = (v: unknown) => parseExperimentConfig(v, { source: join(repoRoot, "examples", "micro.json") });

describe("experiment config", () => {
  it("resolves paths against the config file and fills defaults", () => {
    const c = parse(micro());
    expect(c.baseModel).toBe(join(repoRoot, "..", "shared", "models", "stories260K.gguf"));
    expect(c.evaluation.instructions).toBe(join(repoRoot, "examples", "micro-instructions.jsonl"));
    expect(c.output).toBe(join(repoRoot, "runs", "micro"));
    expect(c.arms.map((a) => [a.name, a.kind, a.arg, a.trained])).toEqual([
      ["instruction-tuned", "instruction-tuned", null, true],
      ["response-tuned", "response-tuned", null, true],
      ["base", "base", null, false],
      ["rules", "rules", "hewitt2024", false],
      ["rules-no-eos", "rules", "hewitt2024", false],
    ]);
    expect(c.arms[1].data).toMatchObject({ format: "messages", maxExamples: 48, dropInstructions: true });
    expect(c.arms[0].data!.dropInstructions).toBe(false);
    expect(c.arms[0].training).toMatchObject({ epochs: 2, loraRank: 4 });
    expect(c.arms[2].generation).toMatchObject({ maxTokens: 48, parallel: 4 });
    expect(c.evaluation).toMatchObject({ bothOrders: true, judgeSeed: 42, reference: "instruction-tuned" });
  });

  it("names the bad field of a malformed config", () => {
    const bad = (mut: (v: any) => void) => {
      const v = micro();
      mut(v);
      try {
        parse(v);
      } catch (e) {
        return e as Error & { code: string };
      }
      throw new Error("accepted");
    };
    expect(bad((v) => (v.arms[1].type = "respons-tuned")).message).toMatch(
      /arms\.1\.type: expected one of base, instruction-tuned/,
    );
    expect(bad((v) => (v.evaluation.reference = "nope")).message).toMatch(/evaluation\.reference: no arm named "nope"/);
    expect(bad((v) => (v.seeds = ["one"])).message).toMatch(/seeds\.0: /);
    expect(bad((v) => (v.arms[0].training = { epochs: 0 })).message).toMatch(/arms\.0\.training\.epochs: /);
    expect(bad((v) => (v.arms[2].data = { path: "x" })).message).toMatch(/arms\.2\.data: a base arm is not trained/);
    expect(bad((v) => delete v.arms[0].data).message).toMatch(
      /arms\.0\.data: a instruction-tuned arm needs training data/,
    );
    expect(bad((v) => (v.arms[4].name = "rules")).message).toMatch(/arms\.4\.name: arm name "rules" is used twice/);
    expect(bad((v) => (v.arms[3].disable = ["speed"])).message).toMatch(/arms\.3\.disable\.0: /);
    expect(bad((v) => (v.generation.maxTokens = "many")).message).toMatch(/generation\.maxTokens: /);
    expect(bad((v) => (v.extra = 1)).message).toMatch(/\(root\): Unrecognized key: "extra"/);
    expect(bad((v) => (v.arms[0].type = "single-task:unknown")).message).toMatch(
      /arms\.0\.data\.format: "unknown" is not a converter name/,
    );
    expect(bad((v) => (v.arms[0].type = "single-task:unknown")).code).toBe("EXPERIMENT_CONFIG_INVALID");
  });

  it("reads YAML too, and publishes a JSON Schema", () => {
    const dir = tempDir("iit-exp-yaml-");
    const p = join(dir, "exp.yaml");
    writeFileSync(
      p,
      "name: y\nbaseModel: m.gguf\narms:\n  - type: base\n  - type: rules\n    disable: [eos]\nevaluation:\n  instructions: i.jsonl\n  reference: base\n  judge: j.gguf\n",
    );
    const c = loadExperimentConfig(p);
    expect(c.baseModel).toBe(join(dir, "m.gguf"));
    expect(c.arms[1]).toMatchObject({ name: "rules", kind: "rules", arg: "hewitt2024", disable: ["eos"] });
    const schema = experimentJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(["baseModel", "arms", "evaluation", "seeds"]),
    );
    expect(schema.required).toEqual(expect.arrayContaining(["name", "baseModel", "arms", "evaluation"]));
    // The copy shipped next to the examples is current.
    expect(JSON.parse(readFileSync(join(repoRoot, "examples", "experiment.schema.json"), "utf8"))).toEqual(
      JSON.parse(JSON.stringify(schema)),
    );
  });

  it("--only patterns match ids, arms, arm/kind and kinds", () => {
    const s = { id: "rt/s1/train", arm: "rt", kind: "train" } as Step;
    expect(matchesOnly(s, ["rt/s1/train"])).toBe(true);
    expect(matchesOnly(s, ["rt"])).toBe(true);
    expect(matchesOnly(s, ["rt/train"])).toBe(true);
    expect(matchesOnly(s, ["train"])).toBe(true);
    expect(matchesOnly(s, ["rt/s2/train", "it", "rt/generate"])).toBe(false);
  });
});

describe.skipIf(!existsSync(cliPath) && "CLI not built (npm run build:ts)")("iit experiment (CLI, no model)", () => {
  it("a malformed config exits 1 naming the field", () => {
    const dir = tempDir("iit-exp-bad-");
    const p = join(dir, "bad.json");
    const v = micro();
    v.evaluation.bothOrders = "yes";
    writeFileSync(p, JSON.stringify(v));
    const r = iit(["experiment", "run", p, "--dry-run"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error \[EXPERIMENT_CONFIG_INVALID\]: .*bad\.json is invalid: evaluation\.bothOrders: /);
    expect(r.stdout).toBe("");
  });

  it("the paper configs validate and dry-run every step with its inputs and hash", () => {
    for (const [name, steps, trains] of [
      ["paper-llama2", 143, 35],
      ["paper-olmo", 119, 35],
    ] as const) {
      const r = iit(["experiment", "run", join("examples", `${name}.json`), "--dry-run", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const j = r.json();
      expect(j).toMatchObject({ experiment: name, dryRun: true, executed: [] });
      expect(j.steps).toHaveLength(steps);
      expect(j.steps.filter((s: { kind: string }) => s.kind === "train")).toHaveLength(trains);
      for (const s of j.steps) expect(s.hash).toMatch(/^[0-9a-f]{64}$/);
      const it1 = j.steps.find((s: { id: string }) => s.id === "instruction-tuned/s1/train");
      expect(it1.inputs.slice).toMatchObject({ mode: "instruction", seed: 1, training: { epochs: 15, batchSize: 64 } });
      const rt1 = j.steps.find((s: { id: string }) => s.id === "response-tuned/s1/train");
      expect(rt1.inputs.slice.mode).toBe("response");
      expect(existsSync(j.output)).toBe(false); // a dry run writes nothing
    }
    const llama = iit(["experiment", "run", "examples/paper-llama2.json", "--dry-run"]);
    expect(llama.stdout).toMatch(/rules-no-eos\/s5\/judge +[0-9a-f]{12} +pending/);
    expect(llama.stdout).toContain("after: outputs=rules-no-eos/generate, reference=instruction-tuned/s5/generate");
  });

  it("prints the schema", () => {
    const r = iit(["experiment", "schema"]);
    expect(r.code).toBe(0);
    expect(r.json().properties.arms.type).toBe("array");
  });
});
