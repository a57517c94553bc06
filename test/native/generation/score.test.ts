import { describe, expect, it } from "vitest";
import { loadModel } from "../../../src/model/Model.js";
import { skipNoModel, storiesModel } from "../../helpers/fixtures.js";

describe.skipIf(skipNoModel)("teacher-forced scoring", () => {
  it("agrees with greedy generation and is a proper distribution", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    const prompt = model.tokenize("Once upon a time", { addSpecial: true });
    const [g] = await model.generate("Once upon a time", { template: "raw", maxTokens: 12 });
    const [s] = await model.score([{ tokens: [...prompt, ...g.tokens], from: prompt.length }], { topK: 3 });
    expect(s.tokenLogprobs).toHaveLength(g.tokens.length);
    expect(s.top).toHaveLength(g.tokens.length + 1);
    // Greedy picked the argmax at every step: it is the top-1 of each scored position.
    g.tokens.forEach((t, j) => {
      expect(s.top[j][0].token).toBe(t);
      expect(s.top[j][0].logprob).toBeCloseTo(s.tokenLogprobs[j], 5);
    });
    for (const lp of s.tokenLogprobs) expect(lp).toBeLessThanOrEqual(0);
    // Over the whole vocabulary the probabilities sum to one.
    const [all] = await model.score([{ tokens: prompt }], { topK: model.meta.nVocab });
    const total = all.topNext.reduce((acc, t) => acc + Math.exp(t.logprob), 0);
    expect(total).toBeCloseTo(1, 4);
  });

  it("scores several sequences independently of their order", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    const a = model.tokenize("Lily went to the park", { addSpecial: true });
    const b = model.tokenize("Tom had a big red ball", { addSpecial: true });
    const [ab0, ab1] = await model.score([{ tokens: a }, { tokens: b }]);
    const [ba0] = await model.score([{ tokens: b }, { tokens: a }]);
    expect(ab1.tokenLogprobs).toEqual(ba0.tokenLogprobs);
    expect(ab0.tokenLogprobs).toHaveLength(a.length - 1);
  });
});
