// Issue 25 item 14: what --parallel may change. Batching is not bit-exact in ggml: one token per step
// goes through ggml's vec_dot, two or more through llamafile's tinyBLAS (sgemm.cpp: "only enable sgemm
// for prompt processing", n < 2 returns false), which sums each dot product in another order. A greedy
// near-tie can then flip, so docs/guarantees.md promises reproducibility per --parallel, not across it.
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../src/model/Model.js";
import { skipNoModel, storiesModel } from "../../helpers/fixtures.js";

describe.skipIf(skipNoModel)("greedy output under batching (stories260K)", () => {
  const o = { maxTokens: 256, template: "raw" as const, contextSize: 512 };

  it("is bit-identical run to run at the same --parallel, and for identical prompts within one batch", async () => {
    await using m = await loadModel({ model: storiesModel, threads: 1 });
    const prompts = ["Ben and Sue 17", "The sun 43", "Once upon a time", "Lily"];
    const a = await m.generate(prompts, { ...o, parallel: 4 });
    const b = await m.generate(prompts, { ...o, parallel: 4 });
    expect(b.map((r) => r.tokens)).toEqual(a.map((r) => r.tokens));
    const same = await m.generate(["Ben and Sue 17", "Ben and Sue 17"], { ...o, parallel: 2 });
    expect(same[1].tokens).toEqual(same[0].tokens);
  });

  it("the measured case: a prompt decoded alone and in a batch of two agree up to where they part, if they do", async () => {
    await using m = await loadModel({ model: storiesModel, threads: 1 });
    const [alone] = await m.generate(["Ben and Sue 17"], { ...o, parallel: 1 });
    const [paired] = await m.generate(["Ben and Sue 17", "Ben and Sue 17"], { ...o, parallel: 2 });
    const at = paired.tokens.findIndex((t, i) => t !== alone.tokens[i]);
    // Where they part depends on the CPU's kernels: token 94 of 256 on the x86 machines this was measured on
    // first, nowhere on a 2-vCPU AMD EPYC with AVX2 (7 December 2026). Never at the first token: the
    // products differ only in their last bits, so only a near-tie can flip.
    expect(at).not.toBe(0);
    expect(paired.tokens.slice(0, at < 0 ? undefined : at)).toEqual(alone.tokens.slice(0, at < 0 ? undefined : at));
  });
});
