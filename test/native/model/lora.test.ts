import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../src/model/Model.js";
import { makeLora } from "../../../src/model/makeLora.js";
import { makeModel } from "../../../src/model/makeModel.js";
import { iit } from "../../helpers/cli.js";
import { llamaSpmVocab, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

const opts = { template: "raw" as const, maxTokens: 32, contextSize: 256 };
const prompt = "Once upon a time";

describe.skipIf(skipNoModel)("LoRA adapters at load time", () => {
  const dir = tempDir();
  const targets = ["attn_q", "attn_v", "ffn_up"];

  it("a zero-B adapter leaves outputs unchanged; a non-zero one changes them; scale 0 equals no adapter", async () => {
    const zero = await makeLora({ base: storiesModel, output: join(dir, "zero.gguf"), rank: 4, targets });
    const live = await makeLora({
      base: storiesModel,
      output: join(dir, "live.gguf"),
      rank: 4,
      targets,
      bStd: 0.5,
      seed: 3,
    });
    expect(zero.nParams).toBeGreaterThan(0);

    let base: number[];
    {
      await using m = await loadModel({ model: storiesModel, threads: 1 });
      base = (await m.generate(prompt, opts))[0].tokens;
    }
    const run = async (path: string, scale: number) => {
      await using m = await loadModel({ model: storiesModel, threads: 1, loras: [{ path, scale }] });
      expect(m.loras).toEqual([{ path, scale }]);
      return (await m.generate(prompt, opts))[0].tokens;
    };
    expect(await run(zero.path, 1)).toEqual(base);
    expect(await run(live.path, 1)).not.toEqual(base);
    expect(await run(live.path, 0)).toEqual(base);
  });

  it("an adapter made for another model is a typed error and the process lives on", async () => {
    const other = await makeModel({
      vocab: llamaSpmVocab,
      output: join(dir, "other.gguf"),
      width: 32,
      heads: 2,
      layers: 1,
    });
    const foreign = await makeLora({ base: other.path, output: join(dir, "foreign.gguf"), rank: 2 });
    await expect(loadModel({ model: storiesModel, loras: [{ path: foreign.path }] })).rejects.toMatchObject({
      name: "LoraAdapterError",
      code: "LORA_INCOMPATIBLE",
    });
    // A model file passed as a LoRA, and a LoRA passed as a model.
    await expect(loadModel({ model: storiesModel, loras: [{ path: storiesModel }] })).rejects.toMatchObject({
      code: "LORA_INVALID",
    });
    await expect(loadModel({ model: foreign.path })).rejects.toMatchObject({ code: "NOT_A_MODEL" });
    await using m = await loadModel({ model: storiesModel, threads: 1 });
    expect((await m.generate(prompt, { ...opts, maxTokens: 4 }))[0].tokens).toHaveLength(4);
  });
});

describe.skipIf(skipNoModel)("iit make-lora", () => {
  it("writes an adapter that iit generate --lora applies; a zero-B one is a no-op", async () => {
    const dir = tempDir();
    const zero = iit(["make-lora", "-m", storiesModel, "-o", join(dir, "zero.gguf"), "--rank", "2", "--json"]);
    expect(zero.code, zero.stderr).toBe(0);
    expect(zero.json()).toMatchObject({ path: join(dir, "zero.gguf") });
    const live = iit([
      "make-lora",
      "-m",
      storiesModel,
      "-o",
      join(dir, "live.gguf"),
      "--rank",
      "2",
      "--b-std",
      "0.5",
      "--targets",
      "attn_q,ffn_up",
      "--json",
    ]);
    expect(live.code, live.stderr).toBe(0);
    const gen = (...lora: string[]) =>
      iit([
        "generate",
        "-m",
        storiesModel,
        "-p",
        "Once upon a time",
        "--template",
        "raw",
        "-n",
        "24",
        "-t",
        "1",
        ...lora.flatMap((l) => ["--lora", l]),
        "--json",
      ]).json().output;
    const base = gen();
    expect(gen(join(dir, "zero.gguf"))).toBe(base);
    expect(gen(join(dir, "live.gguf"))).not.toBe(base);
    const bad = iit(["make-lora", "-m", join(dir, "missing.gguf"), "-o", join(dir, "x.gguf")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/missing\.gguf/);
  });
});
