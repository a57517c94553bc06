// The paper's analyses on stories260K: embeddings through our engine, response ranking, similarity.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMessagesJsonl } from "../../../../src/data/messages.js";
import { writeJsonlAtomic } from "../../../../src/data/messages.js";
import { rankResponses } from "../../../../src/eval/analyses/ranking.js";
import { analyzeSimilarity } from "../../../../src/eval/analyses/similarity.js";
import { cosine } from "../../../../src/model/embed.js";
import { loadModel, type Model } from "../../../../src/model/Model.js";
import { makeLora } from "../../../../src/model/makeLora.js";
import { iit } from "../../../helpers/cli.js";
import { sharedDir, skipNoModel, storiesModel, tempDir } from "../../../helpers/fixtures.js";

const lima = join(sharedDir, "data", "lima", "lima_data.jsonl");
const skip = skipNoModel || (existsSync(lima) ? false : "../../shared/data/lima absent");

describe.skipIf(skip)("analyses on stories260K", () => {
  const dir = tempDir("iit-analyses-");
  const small = join(dir, "lima12.jsonl");
  const general = join(dir, "general.jsonl");
  let model: Model;

  beforeAll(async () => {
    const rows = await readMessagesJsonl(lima);
    // Short examples keep scoring fast: the first 12 whose response is under 400 characters.
    await writeJsonlAtomic(
      small,
      rows.filter((r) => r.messages.length === 2 && r.messages[1].content.length < 400).slice(0, 12),
    );
    await writeJsonlAtomic(general, rows.slice(100, 130));
    model = await loadModel({ model: storiesModel, threads: 1 });
  });
  afterAll(async () => model?.dispose());

  it("model.embed: unit vectors, identical texts identical, empty text zeros, different texts less similar", async () => {
    const [a, b, c, e] = await model.embed([
      "Once upon a time there was a cat.",
      "Once upon a time there was a cat.",
      "def f(x): return x * 2",
      "",
    ]);
    expect(a).toHaveLength(model.meta.nEmbd);
    expect(cosine(a, a)).toBeCloseTo(1, 5);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(cosine(a, c)).toBeLessThan(0.999);
    expect(Array.from(e).every((x) => x === 0)).toBe(true);
    // The same text embedded alone or in a batch gives the same vector.
    const [alone] = await model.embed(["def f(x): return x * 2"]);
    expect(Array.from(alone)).toEqual(Array.from(c));
    await expect(model.embed(["x"], { contextSize: 2 })).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });

  it("response ranking: k comparisons per example, deterministic for a seed", async () => {
    const r = await rankResponses(model, { data: small, k: 3, seed: 0, maxSeqLength: 512 });
    expect(r.examples).toBe(12);
    expect(r.comparisons).toBe(36);
    expect(r.fraction).toBe(r.wins / 36);
    expect(r.fraction).toBeGreaterThanOrEqual(0);
    const again = await rankResponses(model, { data: small, k: 3, seed: 0, maxSeqLength: 512 });
    expect(again.wins).toBe(r.wins);
  });

  it("iit analyze ranking --json compares several models and adapters", async () => {
    const lora = join(dir, "noise.gguf");
    await makeLora({ base: storiesModel, output: lora, rank: 4, bStd: 0.05, seed: 3 });
    const r = iit([
      "analyze",
      "ranking",
      "--data",
      small,
      "-m",
      storiesModel,
      "--lora",
      lora,
      "-k",
      "2",
      "--max-examples",
      "6",
      "--max-seq-length",
      "512",
      "-t",
      "1",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const j = r.json();
    expect(j.models.map((m: { model: string; comparisons: number }) => [m.model, m.comparisons])).toEqual([
      ["stories260K", 12],
      ["stories260K+noise", 12],
    ]);
    // Under the rule adapter: scored by the product distribution (test/native/model/score.test.ts).
    const ruled = iit([
      "analyze",
      "ranking",
      "--data",
      small,
      "-m",
      storiesModel,
      "--rules",
      "hewitt2024",
      "-k",
      "2",
      "--max-examples",
      "6",
      "--max-seq-length",
      "512",
      "-t",
      "1",
      "--json",
    ]);
    expect(ruled.code, ruled.stderr).toBe(0);
    expect(ruled.json().models[0]).toMatchObject({ model: "stories260K", rules: "hewitt2024", comparisons: 12 });
  });

  it("similarity (Fig. 5): one point per output, finite coordinates, a correlation", async () => {
    const rows = await readMessagesJsonl(small);
    const outputs = join(dir, "outputs.json");
    // Responses that are the task's own responses should look more like the task than like general data.
    writeFileSync(
      outputs,
      JSON.stringify(
        rows
          .slice(0, 6)
          .map((r) => ({ instruction: r.messages[0].content, output: r.messages[1].content, generator: "t" })),
      ),
    );
    const s = await analyzeSimilarity(model, { outputs, taskData: small, generalData: general });
    expect(s.points).toHaveLength(6);
    for (const p of s.points) {
      expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
      expect(p.y).toBeCloseTo(p.task_response_similarity - p.general_response_similarity, 10);
    }
    expect(s.pearson_r === null || Math.abs(s.pearson_r) <= 1).toBe(true);
    const cli = iit([
      "analyze",
      "similarity",
      "--embedder",
      storiesModel,
      "--outputs",
      outputs,
      "--task-data",
      small,
      "--general-data",
      general,
      "-t",
      "1",
      "--json",
    ]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.json().points.map((p: { x: number }) => p.x)).toEqual(s.points.map((p) => p.x));
  });
});
