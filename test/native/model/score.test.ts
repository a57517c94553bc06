import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { loadModel } from "../../../src/model/Model.js";
import { makeModel } from "../../../src/model/makeModel.js";
import { loadRules, parseRuleSpec } from "../../../src/rules/loadRules.js";
import { resolveRules } from "../../../src/model/resolveRules.js";
import { llamaSpmVocab, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

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

  it("on a 32k vocabulary the log-softmax normalises to 1 (float log-sum-exp) and ranks like the logits", async () => {
    const made = await makeModel({
      vocab: llamaSpmVocab,
      output: join(tempDir(), "rand-32k.gguf"),
      width: 64,
      heads: 4,
      layers: 2,
      seed: 5,
    });
    await using model = await loadModel({ model: made.path, threads: 1 });
    const tokens = [model.meta.bos, ...model.tokenize("Once upon a time there was a dog")];
    const [s] = await model.score([{ tokens, from: 1 }], { topK: model.meta.nVocab });
    expect(s.top).toHaveLength(tokens.length);
    s.top.forEach((row, j) => {
      expect(row).toHaveLength(model.meta.nVocab);
      // summed in double here: the sum of exp(logprob) is exp(-error of the log-sum-exp)
      const total = row.reduce((acc, t) => acc + Math.exp(t.logprob), 0);
      expect(Math.abs(total - 1), `position ${j}`).toBeLessThan(2e-6);
      if (j + 1 < tokens.length)
        expect(row.find((t) => t.token === tokens[j + 1])!.logprob).toBeCloseTo(s.tokenLogprobs[j], 6);
    });
  });

  it("with rules: the product distribution generation samples from, computed by hand from the base's", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    // Repetition over the response (state that advances per token) and fixed scores; EOS off.
    const spec = parseRuleSpec({
      repetition: { scope: "response" },
      tokens: {
        scores: [
          { text: " the", score: -3 },
          { text: ".", score: 2 },
        ],
      },
    });
    const fixed = new Map(resolveRules(model, spec).tokens.map((t) => [t.id, t.score]));
    expect(fixed.size).toBe(2);
    const prompt = model.tokenize("Once upon a time", { addSpecial: true });
    const [g] = await model.generate("Once upon a time", { template: "raw", maxTokens: 16, rules: spec });
    const seq = [...prompt, ...g.tokens];
    const nVocab = model.meta.nVocab;
    const [ruled] = await model.score([{ tokens: seq, from: prompt.length }], { topK: 3, rules: spec });
    const [base] = await model.score([{ tokens: seq, from: prompt.length }], { topK: nVocab });
    g.tokens.forEach((t, j) => {
      // Greedy with the rules picked the argmax of the product distribution.
      expect(ruled.top[j][0].token).toBe(t);
      const seen = new Set(g.tokens.slice(0, j));
      const adapted = new Float64Array(nVocab);
      for (const e of base.top[j])
        adapted[e.token] = e.logprob + (fixed.get(e.token) ?? 0) + (seen.has(e.token) ? -1.5 : 0);
      const m = Math.max(...adapted);
      const lse = m + Math.log(adapted.reduce((s, x) => s + Math.exp(x - m), 0));
      expect(ruled.tokenLogprobs[j]).toBeCloseTo(adapted[t] - lse, 4);
    });
    // The paper's preset scores too (EOS, repetition after the user tag, fixed tokens).
    const [paper] = await model.score([{ tokens: seq, from: prompt.length }], { rules: loadRules("hewitt2024") });
    expect(paper.tokenLogprobs).toHaveLength(g.tokens.length);
    expect(paper.tokenLogprobs).not.toEqual(base.tokenLogprobs);
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
