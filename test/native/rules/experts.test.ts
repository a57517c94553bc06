import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../src/model/Model.js";
import { makeModel } from "../../../src/model/makeModel.js";
import { llamaSpmVocab, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

const prompts = ["Once upon a time", "Lily", "Tom had a dog", "The sun"];
const gen = { template: "raw" as const, maxTokens: 40, contextSize: 256, parallel: 4 };

describe.skipIf(skipNoModel)("other models as experts (product of experts)", () => {
  it("the base as its own expert: greedy is unchanged, sampling equals temperature 1/(1+w)", async () => {
    await using base = await loadModel({ model: storiesModel, threads: 1 });
    await using self = await loadModel({ model: storiesModel, threads: 1 });
    const w = 1;
    const greedy = await base.generate(prompts, gen);
    const greedyPoe = await base.generate(prompts, { ...gen, experts: [{ model: self, weight: w }] });
    expect(greedyPoe.map((r) => r.tokens)).toEqual(greedy.map((r) => r.tokens));

    const sample = { ...gen, seed: 11 };
    const poe = await base.generate(prompts, { ...sample, temperature: 1, experts: [{ model: self, weight: w }] });
    const cooled = await base.generate(prompts, { ...sample, temperature: 1 / (1 + w) });
    const hot = await base.generate(prompts, { ...sample, temperature: 1 });
    expect(poe.map((r) => r.tokens)).toEqual(cooled.map((r) => r.tokens));
    expect(hot.map((r) => r.tokens)).not.toEqual(cooled.map((r) => r.tokens));
  });

  it("a vocabulary mismatch is a typed error", async () => {
    const other = await makeModel({
      vocab: llamaSpmVocab,
      output: join(tempDir(), "o.gguf"),
      width: 32,
      heads: 2,
      layers: 1,
    });
    await using base = await loadModel({ model: storiesModel, threads: 1 });
    await using expert = await loadModel({ model: other.path, threads: 1 });
    await expect(base.generate("Lily", { ...gen, experts: [{ model: expert, weight: 1 }] })).rejects.toMatchObject({
      code: "EXPERT_VOCAB_MISMATCH",
    });
  });
});
