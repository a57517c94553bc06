// The lab's rule arm on a fitted file: the fit step (iit rules fit on the world's dev prompts) is a
// cached step of the experiment, its ablations are that file with one rule off, and the world-1 file
// is its own arm (rules-transfer) only on other worlds. Runs on the shipped world-1 base, tiny budgets.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseExperimentConfig } from "../../../src/experiment/config.js";
import { hashJson } from "../../../src/util/hash.js";
import { runExperiment } from "../../../src/experiment/runExperiment.js";
import { LAB_FITTED_RULES } from "../../../src/lab/files.js";
import { runLab, TRANSFER_ARM } from "../../../src/experiment/runLab.js";
import { makeWorld } from "../../../src/lab/world.js";
import { loadRules } from "../../../src/rules/loadRules.js";
import { repoRoot, skipNoAddon, tempDir } from "../../helpers/fixtures.js";

const base = join(repoRoot, "models", "lab-base.gguf");
const jsonl = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe.skipIf(skipNoAddon)("lab: fitted rule arms", () => {
  const dir = tempDir("iit-lab-fit-");

  it("fits once on dev only, caches the fit, and derives the ablations from the fitted file", async () => {
    const fitted = `rules:${LAB_FITTED_RULES}`;
    const raw = {
      name: "lab-fit-test",
      baseModel: base,
      output: join(dir, "run"),
      lab: { world: 1, fitEvals: 25 },
      threads: 1,
      generation: { template: "tulu", maxTokens: 40, parallel: 16 },
      arms: [
        { name: "base", type: "base" },
        { name: "rules", type: fitted },
        { name: "rules-no-eos", type: fitted, disable: ["eos"] },
        { name: "rules-no-tokens", type: fitted, disable: ["tokens"] },
      ],
      evaluation: { instructions: "lab:eval", maxInstructions: 10, reference: "base", grader: "lab" },
    };
    const config = parseExperimentConfig(raw, { baseDir: dir });
    const first = await runExperiment(config, {});
    expect(first.failed).toEqual([]);
    expect(first.executed).toContain("lab/fit-rules");
    const fit = first.steps.find((s) => s.id === "lab/fit-rules")!;
    const manifest = JSON.parse(readFileSync(join(fit.dir, "step.json"), "utf8"));
    // The budget bounds the search; the significance test after it may add one evaluation per rule on.
    expect(manifest.result.stopped).toBe("evals");
    expect(manifest.result.evals).toBeGreaterThanOrEqual(25);
    expect(manifest.result.evals).toBeLessThanOrEqual(25 + 4);
    const rulesPath = join(fit.dir, manifest.outputs.rules);
    const spec = JSON.parse(readFileSync(rulesPath, "utf8"));

    // Nothing from the evaluation: the description names the fit's dev file and its hash, whose prompts
    // ask dev creatures in tuning and dev phrasings only; every scored token was found in the base's own
    // dev answers, and no evaluation creature is named.
    const dev = jsonl(join(fit.dir, manifest.outputs.dev));
    expect(spec.description).toContain(`on fit-dev.jsonl (sha256 ${hashJson(dev).slice(0, 16)})`);
    const worldDir = first.steps.find((s) => s.id === "lab/world")!.dir;
    const evalAsked = new Set(jsonl(join(worldDir, "eval.jsonl")).map((p) => p.instruction.replace(p.creature, "X")));
    const devAsked = new Set(dev.map((p) => p.instruction.replace(p.creature, "X")));
    expect(devAsked.size).toBe(15); // five tasks, three phrasings each
    for (const q of devAsked) expect(evalAsked.has(q)).toBe(false);
    expect(new Set(dev.map((p) => p.group))).toEqual(new Set(["dev"]));
    // The dev answers the candidates were read from: the base's, and those under the best rules of each
    // discovery round (the cache keeps both).
    const baseAnswers = jsonl(join(fit.dir, "fit-cache.jsonl"))
      .filter((e) => e.outputs)
      .flatMap((e) => e.outputs.map((o: { output: string }) => o.output))
      .join("\n");
    // Every candidate token (the fitted file's token scores are among them) is from those answers.
    const candidates = [
      ...spec.description.split("Candidate tokens: ")[1].matchAll(/("(?:[^"\\]|\\.)*") \(([a-z ]+)[,)]/g),
    ];
    expect(candidates.length).toBeGreaterThan(0);
    for (const [, text, source] of candidates) {
      expect(["first failure", "first failure under rules", "marker", "repeated", "opens passing answers"]).toContain(
        source,
      );
      expect(baseAnswers).toContain(JSON.parse(text));
    }
    const texts = new Set(candidates.map(([, text]) => JSON.parse(text)));
    for (const t of spec.tokens.enabled ? spec.tokens.scores : []) expect(texts.has(t.text)).toBe(true);
    const w = makeWorld({ seed: 1 });
    const evalNames = w.creatures.filter((c) => c.group === "evalQa" || c.group === "evalProse").map((c) => c.name);
    expect(evalNames.length).toBeGreaterThan(0);
    for (const name of evalNames) expect(JSON.stringify(spec)).not.toContain(name);

    // Every fitted arm applies that file; an ablation is it with one rule off.
    for (const [arm, off] of [
      ["rules", []],
      ["rules-no-eos", ["eos"]],
      ["rules-no-tokens", ["tokens"]],
    ] as const) {
      const gen = first.steps.find((s) => s.id === `${arm}/generate`)!;
      expect(gen.inputs.deps.rules).toBe("lab/fit-rules");
      const out = JSON.parse(readFileSync(join(gen.dir, "outputs.json"), "utf8"));
      expect(out[0].generator_config.rules).toEqual(JSON.parse(JSON.stringify(loadRules(rulesPath, [...off]))));
    }

    // A second run refits nothing; a new arm reuses the fit.
    const again = await runExperiment(config, {});
    expect(again.executed.filter((id) => id !== "aggregate")).toEqual([]);
    expect(again.cached).toContain("lab/fit-rules");
    expect(JSON.parse(readFileSync(join(fit.dir, "step.json"), "utf8")).finished).toBe(manifest.finished);
    const more = parseExperimentConfig(
      { ...raw, arms: [...raw.arms, { name: "rules-no-repetition", type: fitted, disable: ["repetition"] }] },
      { baseDir: dir },
    );
    const third = await runExperiment(more, {});
    expect(third.executed).not.toContain("lab/fit-rules");
    expect(third.executed).toContain("rules-no-repetition/generate");
  }, 600_000);

  it("adds rules-transfer only off world 1, and --dry-run lists the fit step", async () => {
    const steps = async (world: number) =>
      (
        await runLab({ world, base: world === 1 ? base : undefined, output: join(dir, `dry-${world}`), dryRun: true })
      ).run.steps.map((s) => s.id);
    const one = await steps(1);
    expect(one).toContain("lab/fit-rules");
    expect(one.filter((id) => id.startsWith(`${TRANSFER_ARM}/`))).toEqual([]);
    const two = await steps(2);
    expect(two).toContain("lab/fit-rules");
    expect(two).toContain(`${TRANSFER_ARM}/generate`);
    expect(two).toContain(`${TRANSFER_ARM}/grade`);
  });

  it("refuses a fitted rules arm without a lab world", () => {
    const bad = {
      name: "x",
      baseModel: base,
      output: join(dir, "x"),
      arms: [{ name: "rules", type: `rules:${LAB_FITTED_RULES}` }],
      evaluation: { instructions: join(dir, "p.jsonl"), reference: "rules", judge: base },
    };
    expect(() => parseExperimentConfig(bad, { baseDir: dir })).toThrow(
      /EXPERIMENT_CONFIG_INVALID|rules:lab:fitted fits rules on a lab world/,
    );
  });
});
