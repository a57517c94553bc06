import { describe, expect, it } from "vitest";
import { openPeer } from "../../../src/bench/peer.js";
import { join } from "node:path";
import { loadModel } from "../../../src/model/Model.js";
import { makeModel } from "../../../src/model/makeModel.js";
import { llamaSpmVocab, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

describe.skipIf(skipNoModel)("generation on stories260K", () => {
  it("greedy raw generation yields the same token ids as node-llama-cpp's greedy completion", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    const prompts = ["Once upon a time", "Lily and Tom", "The big dog"];
    const peer = await openPeer(storiesModel, 1, 512);
    try {
      for (const p of prompts) {
        const [ours] = await model.generate(p, { template: "raw", maxTokens: 48, contextSize: 512 });
        const theirs = await peer.greedy(model.tokenize(p, { addSpecial: true }), 48);
        expect(ours.tokens.length).toBeGreaterThan(10);
        expect(ours.tokens).toEqual(theirs.tokens);
      }
    } finally {
      await peer.dispose();
    }
  });

  it("N prompts in parallel give the same outputs as N sequential runs (greedy)", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    const prompts = ["Once upon a time", "Lily", "Tom had a dog", "The sun", "One day", "A cat"];
    const opts = { template: "raw" as const, maxTokens: 64, contextSize: 256 };
    const parallel = await model.generate(prompts, { ...opts, parallel: 4 });
    const sequential = [];
    for (const p of prompts) sequential.push(...(await model.generate(p, opts)));
    expect(parallel.map((r) => r.tokens)).toEqual(sequential.map((r) => r.tokens));
    expect(parallel.map((r) => r.instruction)).toEqual(prompts);
  });

  it("contextSlots: a batch smaller than the context's slots gives the same outputs and keeps the context", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    const opts = { template: "raw" as const, maxTokens: 32, contextSize: 256 };
    const alone = await model.generate(["Lily", "Tom had a dog"], { ...opts, parallel: 2 });
    const wide = { ...opts, contextSlots: 4 };
    const one = await model.generate(["Lily"], wide);
    const ctx = model._getContext({ nCtx: 256 * 4, nSeq: 4, nBatch: 512 });
    const two = await model.generate(["Lily", "Tom had a dog"], { ...wide, parallel: 2 });
    expect(model._getContext({ nCtx: 256 * 4, nSeq: 4, nBatch: 512 })).toBe(ctx); // not re-created for 2
    expect(one[0].tokens).toEqual(alone[0].tokens);
    expect(two.map((r) => r.tokens)).toEqual(alone.map((r) => r.tokens));
  });

  it("greedy (argmax of the logits row, no candidate array) picks the chain's top-1 token, on 512 and 32k vocabularies", async () => {
    // temperature 1 with top-k 1 runs the whole sampler chain over the vocabulary-sized candidate array
    // and keeps its single best token: the same choice as greedy, reached the long way.
    const made = await makeModel({
      vocab: llamaSpmVocab,
      output: join(tempDir(), "rand-32k.gguf"),
      width: 64,
      heads: 4,
      layers: 2,
      seed: 3,
    });
    for (const path of [storiesModel, made.path]) {
      await using model = await loadModel({ model: path, threads: 1 });
      const prompts = ["Once upon a time", "Lily", "Tom had a dog", "The sun", "One day"];
      for (const parallel of [1, 4]) {
        const opts = { template: "raw" as const, maxTokens: 24, contextSize: 256, parallel, ignoreEos: true };
        const greedy = await model.generate(prompts, { ...opts, temperature: 0 });
        const chain = await model.generate(prompts, { ...opts, temperature: 1, topK: 1, seed: 1 });
        expect(greedy.map((r) => r.tokens.length)).toEqual(prompts.map(() => 24));
        expect(
          greedy.map((r) => r.tokens),
          `${path} at parallel ${parallel}`,
        ).toEqual(chain.map((r) => r.tokens));
      }
    }
  });

  it("sampling with a seed is reproducible and independent of batching", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    const opts = { template: "raw" as const, maxTokens: 40, temperature: 0.9, topK: 40, topP: 0.95, seed: 7 };
    const a = await model.generate(["Once upon a time", "Lily"], { ...opts, parallel: 2 });
    const b = await model.generate(["Once upon a time"], opts);
    const c = await model.generate(["Once upon a time"], { ...opts, seed: 8 });
    expect(a[0].tokens).toEqual(b[0].tokens);
    expect(c[0].tokens).not.toEqual(b[0].tokens);
  });

  it("stops on max tokens, stop strings and a full context, and reports why", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    const [m] = await model.generate("Once upon a time", { template: "raw", maxTokens: 5 });
    expect(m.stopReason).toBe("max_tokens");
    expect(m.tokens).toHaveLength(5);
    const [s] = await model.generate("Once upon a time", { template: "raw", maxTokens: 100, stop: ["Lily"] });
    expect(s.stopReason).toBe("stop_string");
    expect(s.output).toBe(", there was a little girl named ");
    // stories260K (llama2.c) separates stories with BOS and never emits EOS: EOS stops are tested with the rule adapter.
    const [c] = await model.generate("Once upon a time", { template: "raw", maxTokens: 500, contextSize: 64 });
    expect(c.stopReason).toBe("context_full");
    // llama.cpp pads a context to a multiple of 256 tokens.
    expect(c.nPromptTokens + c.tokens.length).toBeLessThanOrEqual(256);
  });

  it("the tulu template puts BOS and the paper's tags before the instruction", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    const [r] = await model.generate("Tell me a story.", { maxTokens: 8 });
    const expected = [model.meta.bos, ...model.tokenize("<|user|>\nTell me a story.\n<|assistant|>\n")];
    expect(r.nPromptTokens).toBe(expected.length);
    await expect(model.generate("x", { template: "model" })).rejects.toMatchObject({ code: "NO_CHAT_TEMPLATE" });
  });

  it("an AbortSignal cancels a running generation with an AbortError", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    const ac = new AbortController();
    const run = model.generate(["Once upon a time", "Lily"], {
      template: "raw",
      maxTokens: 1500,
      contextSize: 2048,
      signal: ac.signal,
      onToken: (_i, _t) => ac.abort(),
    });
    await expect(run).rejects.toMatchObject({ code: "ABORTED" });
    // The model stays usable.
    const [r] = await model.generate("Lily", { template: "raw", maxTokens: 3 });
    expect(r.tokens).toHaveLength(3);
  });

  it("rejects impossible options before native code", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    await expect(model.generate("x", { maxTokens: 0 })).rejects.toMatchObject({ code: "INVALID_OPTION" });
    await expect(model.generate("x", { topP: 0 })).rejects.toMatchObject({ code: "INVALID_OPTION" });
    await expect(model.generate("x".repeat(400), { template: "raw", contextSize: 64 })).rejects.toMatchObject({
      code: "PROMPT_TOO_LONG",
    });
  });
});
