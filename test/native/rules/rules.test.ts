import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../src/model/Model.js";
import { disableRules, loadRules, parseRuleSpec } from "../../../src/rules/loadRules.js";
import { resolveRules } from "../../../src/model/resolveRules.js";
import { llamaSpmVocab, skipNoAddon, skipNoModel, storiesModel, vocabDir } from "../../helpers/fixtures.js";

const prompts = [
  "Write a story about a dog.",
  "Tell me about the sun.",
  "What is a cat?",
  "Name three colors.",
  "Describe a park.",
];

describe.skipIf(skipNoAddon || (existsSync(llamaSpmVocab) ? false : "no llama.cpp vocab files"))(
  "rule resolution",
  () => {
    it("hewitt2024 resolves to exactly the paper's 15 Llama-2 ids and scores", async () => {
      await using m = await loadModel({ model: llamaSpmVocab, vocabOnly: true });
      const r = resolveRules(m, loadRules("hewitt2024"));
      expect(r.unresolved).toEqual([]);
      expect(r.tokens.map((t) => [t.id, t.score])).toEqual([
        [29966, -4],
        [529, -4],
        [29989, -4],
        [306, -5],
        [29902, -5],
        [1334, -3],
        [5618, -5],
        [881, -6],
        [334, 1],
        [448, 1],
        [1678, 1],
        [396, 1],
        [444, 1],
        [13, 1],
        [29991, 1],
      ]);
      expect(r.eosIds).toEqual([2]);
      // The tail of "\n<|user|>\n" that the paper's code matches.
      expect(r.userTagIds).toEqual([29989, 1792, 29989, 29958, 13]);
    });

    it("resolves on a byte-level BPE vocabulary too", async () => {
      await using m = await loadModel({ model: `${vocabDir}/ggml-vocab-llama-bpe.gguf`, vocabOnly: true });
      const r = resolveRules(m, loadRules("hewitt2024"));
      expect(r.unresolved).toEqual([]);
      for (const t of r.tokens) expect(m.detokenize([t.id])).toBe(t.text);
      // The EOS rule raises EOS alone (the paper's code); Llama-3 has more end-of-generation tokens.
      expect(m.meta.eogIds.length).toBeGreaterThan(1);
      expect(r.eosIds).toEqual([m.meta.eos]);
      expect(resolveRules(m, loadRules("hewitt2024-eog")).eosIds).toEqual(m.meta.eogIds);
    });
  },
);

describe.skipIf(skipNoModel)("the rule adapter on stories260K", () => {
  const gen = { maxTokens: 120, contextSize: 512, parallel: 5 };

  it("greedy outputs with the rules differ from the base model's", async () => {
    await using m = await loadModel({ model: storiesModel, threads: 1 });
    const base = await m.generate(prompts, gen);
    const ruled = await m.generate(prompts, { ...gen, rules: loadRules("hewitt2024") });
    expect(ruled.map((r) => r.output)).not.toEqual(base.map((r) => r.output));
    // The repetition rule: fewer repeated tokens in the ruled outputs.
    const distinct = (rs: { tokens: number[] }[]) =>
      rs.reduce((a, r) => a + new Set(r.tokens).size / r.tokens.length, 0);
    expect(distinct(ruled)).toBeGreaterThan(distinct(base));
  });

  it("the EOS rule shortens outputs on average", async () => {
    // stories260K never emits EOS on its own (llama2.c separates stories with BOS), so the paper's
    // slope of 0.06 never wins within 250 tokens; a steeper slope shows the rule at work.
    await using m = await loadModel({ model: storiesModel, threads: 1 });
    const eosOnly = parseRuleSpec({ eos: { slope: 0.5 } });
    const base = await m.generate(prompts, { ...gen, maxTokens: 300 });
    const ruled = await m.generate(prompts, { ...gen, maxTokens: 300, rules: eosOnly });
    const mean = (rs: { tokens: number[] }[]) => rs.reduce((a, r) => a + r.tokens.length, 0) / rs.length;
    expect(ruled.every((r) => r.stopReason === "eos")).toBe(true);
    expect(mean(ruled)).toBeLessThan(mean(base) / 2);
  });

  it("each --disable-rule variant equals generating with that rule's spec removed", async () => {
    await using m = await loadModel({ model: storiesModel, threads: 1 });
    const full = loadRules("hewitt2024");
    for (const r of ["eos", "repetition", "tokens"] as const) {
      const removed = { ...full, [r]: { ...full[r], enabled: false } };
      const a = await m.generate(prompts, { ...gen, rules: disableRules(full, [r]) });
      const b = await m.generate(prompts, { ...gen, rules: removed });
      expect(a.map((x) => x.tokens)).toEqual(b.map((x) => x.tokens));
    }
  });

  it("a rules spec with every rule off equals no adapter", async () => {
    await using m = await loadModel({ model: storiesModel, threads: 1 });
    const base = await m.generate(prompts, gen);
    const off = await m.generate(prompts, { ...gen, rules: parseRuleSpec({}) });
    expect(off.map((r) => r.tokens)).toEqual(base.map((r) => r.tokens));
  });
});
