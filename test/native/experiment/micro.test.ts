// examples/micro.json end to end through the library: real training, generation, judging.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readMessagesJsonl } from "../../../src/data/messages.js";
import { parseExperimentConfig, type ExperimentConfig } from "../../../src/experiment/config.js";
import { collectExperiment, runExperiment } from "../../../src/experiment/runExperiment.js";
import type { ExperimentEvent, ExperimentRun } from "../../../src/experiment/types.js";
import type { TrainOptions } from "../../../src/training/types.js";
import { repoRoot, sharedDir, skipNoModel, tempDir } from "../../helpers/fixtures.js";
import { train } from "../../../src/training/train.js";

/** The real trainer, recording what it was asked to do. */
const recording =
  (calls: TrainOptions[] = []) =>
  (o: TrainOptions) => {
    calls.push(o);
    return train(o);
  };

const microPath = join(repoRoot, "examples", "micro.json");
const skip =
  skipNoModel ||
  (existsSync(join(sharedDir, "data", "lima", "lima_data.jsonl")) ? false : "../shared/data/lima absent");

/** micro.json with its output moved to a temporary directory. */
function microConfig(output: string): ExperimentConfig {
  const v = JSON.parse(readFileSync(microPath, "utf8"));
  v.output = output;
  v.threads = 1; // tests share the machine: one thread never oversubscribes the cores
  return parseExperimentConfig(v, { source: microPath });
}

/** The numbers of a table (timings and paths aside), for comparing runs. */
const numbers = (r: ExperimentRun) =>
  r.results!.table.rows.map((row) => ({
    arm: row.arm,
    wr: row.win_rate_mean,
    std: row.win_rate_std,
    se: row.standard_error_mean,
    len: row.avg_length_mean,
    seeds: row.per_seed.map((p) => [p.seed, p.win_rate, p.n_total]),
  }));

// Whole experiments (train, generate, judge) per test: minutes on a loaded 2-core machine.
describe.skipIf(skip)("examples/micro.json end to end ", { timeout: 600_000 }, () => {
  const dir = tempDir("iit-micro-");
  const calls: TrainOptions[] = [];
  let first: ExperimentRun;

  beforeAll(async () => {
    first = await runExperiment(microConfig(dir), {
      train: recording(calls),
      onEvent: (e) => e.type === "step-done" && console.error(e.step, e.seconds.toFixed(2)),
    });
  }, 300_000);

  it("runs every step and writes the table in Markdown, CSV and JSON", () => {
    expect(first.aborted).toBe(false);
    expect(first.executed).toHaveLength(22);
    expect(first.cached).toHaveLength(0);
    const t = first.results!.table;
    expect(t.rows.map((r) => r.arm)).toEqual(["instruction-tuned", "response-tuned", "base", "rules", "rules-no-eos"]);
    expect(t.rows[0]).toMatchObject({ reference: true, win_rate_mean: null, seeds: [1, 2] });
    for (const row of t.rows.slice(1)) {
      expect(row.per_seed.map((p) => p.seed)).toEqual([1, 2]);
      expect(row.win_rate_mean).toBeGreaterThanOrEqual(0);
      expect(row.win_rate_mean).toBeLessThanOrEqual(100);
      expect(row.win_rate_std).not.toBeNull();
      for (const p of row.per_seed) expect(p.n_total).toBe(8);
    }
    expect(t.rows[4].kind).toBe("rules:hewitt2024 −eos");
    const md = readFileSync(join(dir, "results.md"), "utf8");
    expect(md).toContain("| Arm | Type | Win rate vs instruction-tuned (%) |");
    expect(md).toMatch(/\| rules-no-eos \| rules:hewitt2024 −eos \| \d+\.\d ± \d+\.\d\d \|/);
    expect(readFileSync(join(dir, "results.csv"), "utf8").split("\n")[0]).toBe(
      "arm,kind,reference,seeds,win_rate_mean,win_rate_std,standard_error_mean,discrete_win_rate_mean,avg_length_mean",
    );
    expect(JSON.parse(readFileSync(join(dir, "results.json"), "utf8")).table.rows).toHaveLength(5);
  });

  it("trains each trained arm once per seed on converted data (48 LIMA examples; instructions dropped for response tuning)", async () => {
    expect(calls.map((c) => [c.mode, c.seed])).toEqual([
      ["instruction", 1],
      ["instruction", 2],
      ["response", 1],
      ["response", 2],
    ]);
    expect(calls[0]).toMatchObject({ epochs: 2, loraRank: 4, threads: 1, resume: true });
    const it = await readMessagesJsonl(calls[0].data);
    const rt = await readMessagesJsonl(calls[2].data);
    expect(it).toHaveLength(48);
    expect(rt).toHaveLength(48);
    expect(it[0].messages[0].content).not.toBe("");
    expect(rt.every((r) => r.messages.filter((m) => m.role === "user").every((m) => m.content === ""))).toBe(true);
  });

  it("writes generations with stop reasons, and lengths per arm", () => {
    const r = first.results!;
    expect(Object.keys(r.generations)).toEqual([
      "instruction-tuned",
      "response-tuned",
      "base",
      "rules",
      "rules-no-eos",
    ]);
    expect(r.generations["instruction-tuned"]).toHaveLength(2);
    expect(r.generations.base).toHaveLength(1); // greedy and untrained: one generation serves every seed
    for (const a of r.lengths.arms) {
      expect(a.stop_reasons.max_tokens).toBe(a.responses); // stories260K never emits EOS on its own
      expect(a.tokens.max).toBe(48);
    }
  });

  it("re-running is a no-op: every step is cached, nothing trains", async () => {
    const again: TrainOptions[] = [];
    const events: ExperimentEvent[] = [];
    const r = await runExperiment(microConfig(dir), { train: recording(again), onEvent: (e) => events.push(e) });
    expect(r.executed).toEqual([]);
    expect(r.cached).toHaveLength(22);
    expect(again).toHaveLength(0);
    expect(events.some((e) => e.type === "step-start")).toBe(false);
    expect(numbers(r)).toEqual(numbers(first));
  });

  it("a changed setting redoes only the steps downstream of it", async () => {
    const v = JSON.parse(readFileSync(microPath, "utf8"));
    v.output = dir;
    v.threads = 1;
    v.arms[4].disable = ["eos", "tokens"];
    const r = await runExperiment(parseExperimentConfig(v, { source: microPath }), { dryRun: true });
    expect(r.steps.filter((s) => s.status === "pending").map((s) => s.id)).toEqual([
      "rules-no-eos/generate",
      "rules-no-eos/s1/judge",
      "rules-no-eos/s2/judge",
      "aggregate",
    ]);
  });

  it("a similarity analysis added to the config runs as one more step, and lands in results.json", async () => {
    const v = JSON.parse(readFileSync(microPath, "utf8"));
    Object.assign(v, { output: dir, threads: 1 });
    v.analyses = {
      similarity: {
        embedder: v.baseModel,
        generalData: "../../shared/data/lima/lima_no_instruction.jsonl",
        arms: ["instruction-tuned"],
        maxExamples: 12,
      },
    };
    const r = await runExperiment(parseExperimentConfig(v, { source: microPath }), { train: recording() });
    expect(r.executed).toEqual(["instruction-tuned/s1/similarity", "aggregate"]);
    const sim = r.results!.similarity;
    expect(sim).toHaveLength(1);
    expect(sim[0]).toMatchObject({ arm: "instruction-tuned", seed: 1 });
    const points = JSON.parse(readFileSync(join(dir, sim[0].path), "utf8")).points;
    expect(points).toHaveLength(8);
    expect(numbers(r)).toEqual(numbers(first));
  });

  it("interrupted mid-run (inside a judge step), then resumed, gives the same table", async () => {
    const d2 = tempDir("iit-micro-abort-");
    const ac = new AbortController();
    const r1 = await runExperiment(microConfig(d2), {
      train: recording(),
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === "progress" && e.step === "base/s1/judge" && e.done >= 3) ac.abort();
      },
    });
    expect(r1.aborted).toBe(true);
    expect(r1.results).toBeNull();
    expect(r1.executed).toContain("base/generate");
    expect(r1.executed).not.toContain("base/s1/judge");
    // The judge step kept its finished judgements.
    const judgeDir = r1.steps.find((s) => s.id === "base/s1/judge")!.dir;
    expect(readFileSync(join(judgeDir, "judge-cache.jsonl"), "utf8").trim().split("\n").length).toBeGreaterThan(0);
    expect(existsSync(join(judgeDir, "step.json"))).toBe(false);

    const r2 = await runExperiment(microConfig(d2), { train: recording() });
    expect(r2.aborted).toBe(false);
    expect(r2.executed[0]).toBe("base/s1/judge");
    expect(r2.cached).toEqual(expect.arrayContaining(r1.executed));
    expect(numbers(r2)).toEqual(numbers(first));
  });

  it("--only runs one step when its inputs are there, and refuses when they are not", async () => {
    const d3 = tempDir("iit-micro-only-");
    const c = microConfig(d3);
    await expect(runExperiment(c, { only: ["base/s1/judge"] })).rejects.toMatchObject({
      code: "EXPERIMENT_UPSTREAM_MISSING",
    });
    const r = await runExperiment(c, { only: ["rules/generate"] });
    expect(r.executed).toEqual(["rules/generate"]);
    await expect(runExperiment(c, { only: ["nothing-like-this"] })).rejects.toMatchObject({
      code: "EXPERIMENT_ONLY_NO_MATCH",
    });
    // A train step needs its converted data; once that is there, it trains (the library's trainer by default).
    await expect(runExperiment(c, { only: ["instruction-tuned/s1/train"] })).rejects.toMatchObject({
      code: "EXPERIMENT_UPSTREAM_MISSING",
    });
    await runExperiment(c, { only: ["instruction-tuned/convert"] });
    const t = await runExperiment(c, { only: ["instruction-tuned/s1/train"] });
    expect(t.executed).toEqual(["instruction-tuned/s1/train"]);
  });

  it("collect copies finished steps from another output directory and aggregates the same table", async () => {
    const d4 = tempDir("iit-micro-collect-");
    const r = await collectExperiment(microConfig(d4), { from: [dir] });
    expect(r.copied).toHaveLength(22);
    expect(r.missing).toEqual([]);
    expect(r.complete).toBe(true);
    expect(numbers({ results: r.results } as ExperimentRun)).toEqual(numbers(first));
  });
});
