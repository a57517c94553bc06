// The thread count and ggml's polling level reach the native contexts (generation, scoring, training).
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadAddon } from "../../../src/bindings/loadAddon.js";
import { InvalidOptionError } from "../../../src/errors.js";
import { loadModel } from "../../../src/model/Model.js";
import { train } from "../../../src/training/train.js";
import { iit } from "../../helpers/cli.js";
import { repoRoot, sharedDir, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

const labBase = join(repoRoot, "models", "lab-base.gguf");
const twoCores = availableParallelism() >= 2;

describe.skipIf(skipNoModel)("threads and polling on the native side", () => {
  it("a tiny model starts at 1 thread by default for generation at --parallel 16 and for scoring", async () => {
    for (const path of [storiesModel, labBase]) {
      await using model = await loadModel({ model: path });
      await model.generate(["Once upon a time", "A cat"], { template: "raw", maxTokens: 4, parallel: 16 });
      expect(model._contextFor(8).info().nThreads).toBe(1);
      await model.score([{ tokens: model.tokenize("Once upon a time", { addSpecial: true }) }]);
      expect(model._contextFor(8).info().nThreads).toBe(1);
    }
  });

  it.skipIf(!twoCores)("an explicit thread count wins over the choice", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 2 });
    await model.generate("Once upon a time", { template: "raw", maxTokens: 4 });
    expect(model._contextFor(8).info().nThreads).toBe(2);
  });

  it("the polling level reaches the context's threadpool (default 0)", async () => {
    await using quiet = await loadModel({ model: storiesModel });
    await quiet.generate("Once upon a time", { template: "raw", maxTokens: 4 });
    expect(quiet._contextFor(8).info().poll).toBe(0);
    await using spinning = await loadModel({ model: storiesModel, threads: 1, poll: 37 });
    await spinning.generate("Once upon a time", { template: "raw", maxTokens: 4 });
    expect(spinning._contextFor(8).info()).toMatchObject({ nThreads: 1, poll: 37 });
  });

  it("a polling level outside 0..100 is a typed error before anything loads", async () => {
    await expect(loadModel({ model: storiesModel, poll: 101 })).rejects.toThrow(InvalidOptionError);
    const r = iit(["generate", "-m", storiesModel, "-p", "Hi", "--poll", "101"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/poll must be an integer in 0\.\.100, got 101/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.skipIf(!twoCores)(
    "the trainer's context gets the thread count and polling level it was created with",
    async () => {
      const t = new (loadAddon().AddonTrainer)();
      await t.create({
        modelPath: storiesModel,
        loraPath: "",
        nCtx: 256,
        threads: 2,
        poll: 12,
        gpuLayers: 0,
        sgd: true,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
      });
      try {
        expect(t.info()).toMatchObject({ nThreads: 2, poll: 12 });
      } finally {
        t.dispose();
      }
    },
  );

  it("train() on a tiny model picks 1 thread by default and reports it; an explicit count wins", async () => {
    const data = join(sharedDir, "data", "lima", "lima_no_instruction.jsonl");
    const dir = tempDir();
    const base = {
      model: storiesModel,
      data,
      mode: "response",
      nCtx: 256,
      maxExamples: 2,
      epochs: 1,
      lr: 1e-3,
    } as const;
    const auto = await train({ ...base, output: join(dir, "auto.gguf") });
    expect(auto).toMatchObject({ threads: 1, poll: 0 });
    if (twoCores) {
      const two = await train({ ...base, output: join(dir, "two.gguf"), threads: 2, poll: 5 });
      expect(two).toMatchObject({ threads: 2, poll: 5 });
    }
  });
});
