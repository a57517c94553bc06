// The lab end to end on a tiny base pretrained here: tokenizer, reproducible pretraining, every arm
// through `iit experiment run` with graded snapshots and early stopping, verdicts, cache.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../../../src/model/Model.js";
import { labPretrain, worldSeedOf } from "../../../src/lab/pretrain.js";
import { makeWorld } from "../../../src/lab/world.js";
import { pretrainingDocs } from "../../../src/lab/corpus.js";
import { iit } from "../../helpers/cli.js";
import { repoRoot, skipNoAddon, tempDir } from "../../helpers/fixtures.js";

const WORLD = 3;

describe.skipIf(skipNoAddon)("lab", () => {
  const dir = tempDir("iit-lab-");
  const base = join(dir, "base.gguf");
  let pretrained: Awaited<ReturnType<typeof labPretrain>>;

  beforeAll(async () => {
    pretrained = await labPretrain({ seed: WORLD, output: base, tokens: 12_000, threads: 1 });
  }, 300_000);

  it("writes a small real tokenizer that round-trips and tokenizes the world in whole words", async () => {
    expect(pretrained.vocabSize).toBeLessThanOrEqual(1250); // 1116 for world 1: 130 creatures, five phrasings a task, numbers
    await using m = await loadModel({ model: base, vocabOnly: true });
    expect(worldSeedOf(m.meta.metadata["general.name"])).toBe(WORLD);
    const w = makeWorld({ seed: WORLD });
    const docs = pretrainingDocs(w, { tokens: 3000 });
    for (const text of [...docs, "<|user|>\nwhat colour is Melu?\n<|assistant|>\n", "naïve café ☕ 42 {}"]) {
      expect(m.detokenize(m.tokenize(text))).toBe(text);
    }
    // One token a word, two a name, and a space before a name is a token of its own (llama.cpp drops
    // the leading space of a lone piece: compare trimmed).
    const piece = (t: string) => m.tokenize(t).map((id) => m.detokenize([id]).trim());
    expect(piece("the favourite food of")).toEqual(["the", "favourite", "food", "of"]);
    const name = w.creatures[0].name;
    expect(piece(`${name} eats honey.`)).toEqual(["", name.slice(0, 2), name.slice(2), "eats", "honey", "."]);
    // So a name is the same two tokens in a question and at the start of an answer's line.
    const ids = (t: string) => m.tokenize(t).slice(-2);
    expect(ids(`tell me about ${name}`)).toEqual(ids(`<|assistant|>\n${name}`));
    // The template's words are words of the pretraining dialogues ("user: …", "assistant: …").
    expect(piece("<|user|>\n").slice(1, 4)).toEqual(["|", "user", "|"]);
    expect(piece("user: hi")[0]).toBe("user");
  });

  it("is a GGUF like any other: iit generate runs it on text, in the Tulu template or raw", () => {
    const name = makeWorld({ seed: WORLD }).creatures[0].name;
    for (const extra of [[], ["--template", "raw"]]) {
      const r = iit([
        "generate",
        "-m",
        base,
        "-p",
        `what colour is ${name}?`,
        "-n",
        "8",
        "-t",
        "1",
        "--json",
        ...extra,
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json().n_tokens).toBeGreaterThan(0);
    }
  });

  it("rebuilds the same base from the same seed and threads", async () => {
    const again = await labPretrain({ seed: WORLD, output: join(dir, "again.gguf"), tokens: 12_000, threads: 1 });
    expect(again.sha256).toBe(pretrained.sha256);
  }, 300_000);

  it("runs every arm, grades a snapshot per budget, keeps the best on dev, and gives a verdict per finding", () => {
    const config = {
      name: "lab-test",
      baseModel: base,
      output: join(dir, "run"),
      lab: { world: WORLD },
      seeds: [1],
      threads: 1,
      generation: { template: "tulu", maxTokens: 16, parallel: 8 },
      training: { lr: 0.0001, lrSchedule: "constant", batchSize: 1, nCtx: 256, pack: true, budgets: [1, 2] },
      arms: [
        { name: "base", type: "base" },
        { name: "base-probe", type: "base", instructions: "lab:eval-probe", generation: { template: "raw" } },
        { name: "instruction-tuned", type: "instruction-tuned", data: { path: "lab:instruct", maxExamples: 120 } },
        { name: "response-tuned", type: "response-tuned", data: { path: "lab:instruct", maxExamples: 120 } },
        { name: "single-story", type: "single-task:story", data: { path: "lab:single-story", format: "messages" } },
        { name: "rules", type: `rules:${join(repoRoot, "examples", "lab-rules.json")}` },
        { name: "rules-no-eos", type: `rules:${join(repoRoot, "examples", "lab-rules.json")}`, disable: ["eos"] },
      ],
      evaluation: { instructions: "lab:eval", maxInstructions: 25, reference: "instruction-tuned", grader: "lab" },
    };
    const path = join(dir, "lab-test.json");
    writeFileSync(path, JSON.stringify(config));
    const r = iit(["experiment", "run", path, "--json"], { timeout: 600_000 });
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(readFileSync(join(dir, "run", "results.json"), "utf8"));
    expect(res.findings.map((f: { id: string }) => f.id)).toEqual(["response-tuning", "single-task", "rules"]);
    for (const f of res.findings) expect(typeof f.reproduced).toBe("boolean");
    expect(res.lab.rows.map((x: { arm: string }) => x.arm)).toEqual(config.arms.map((a) => a.name));
    for (const row of res.lab.rows) expect(row.stats.strict.mean).toBeGreaterThanOrEqual(0);
    // A snapshot at the end of each budget (epochs 1 and 2); the best on dev is the arm's model.
    for (const arm of ["instruction-tuned", "response-tuned", "single-story"]) {
      const [curve] = res.lab.curves[arm];
      expect(curve.points.map((p: { epochs: number }) => p.epochs)).toEqual([1, 2]);
      expect(curve.points[1].step).toBe(2 * curve.points[0].step);
      // Dev strict chooses, dev correct breaks ties, the smaller budget wins a tie.
      const devs: number[] = curve.points.map(
        (p: { dev: { strict: number; correct: number } }) => p.dev.strict * 1000 + p.dev.correct,
      );
      expect(curve.best_epochs).toBe(curve.points[devs.indexOf(Math.max(...devs))].epochs);
    }
    expect(readFileSync(join(dir, "run", "results.md"), "utf8")).toMatch(
      /### Findings[\s\S]*response-tuning: (not )?reproduced/,
    );
    // The report shows the verdicts, the graded table and a learning curve per tuned arm.
    const rep = iit(["report", join(dir, "run")]);
    expect(rep.code, rep.stderr).toBe(0);
    const html = readFileSync(join(dir, "run", "report.html"), "utf8");
    expect(html).toMatch(/<ul id="findings">[\s\S]*response-tuning: (not )?reproduced/);
    expect(html).toContain('id="lab-results"');
    for (const arm of ["instruction-tuned", "response-tuned", "single-story"])
      expect(html).toContain(`${arm}: strict score against training budget`);
    // An arm interrupted mid-training left its trainer checkpoint: the re-run starts that arm over.
    const trainDir = readdirSync(join(dir, "run", "steps", "instruction-tuned", "s1")).find((d) =>
      d.startsWith("train-"),
    )!;
    const stepDir = join(dir, "run", "steps", "instruction-tuned", "s1", trainDir);
    const manifest = JSON.parse(readFileSync(join(stepDir, "step.json"), "utf8"));
    rmSync(join(stepDir, "step.json"));
    mkdirSync(join(stepDir, `${manifest.outputs.model}.ckpt`));
    writeFileSync(join(stepDir, `${manifest.outputs.model}.ckpt`, "state.json"), "{}");
    const resumed = iit(["experiment", "run", path, "--only", "instruction-tuned/s1/train", "--json"], {
      timeout: 300_000,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(stepDir, "step.json"), "utf8")).result.best_epochs).toBe(
      manifest.result.best_epochs,
    );
    // A second run is all cached and changes nothing.
    const again = iit(["experiment", "run", path, "--json"], { timeout: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().executed).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, "run", "results.json"), "utf8"))).toEqual(res);
  }, 900_000);

  it("refuses a base pretrained on another world, naming both", () => {
    const path = join(dir, "mismatch.json");
    writeFileSync(
      path,
      JSON.stringify({
        name: "mm",
        baseModel: base,
        output: join(dir, "mm"),
        lab: { world: WORLD + 1 },
        arms: [{ type: "base" }],
        evaluation: { instructions: "lab:eval", reference: "base", grader: "lab" },
      }),
    );
    const r = iit(["experiment", "run", path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/LAB_WORLD_MISMATCH.*world 3.*lab\.world is 4/s);
  });
});
