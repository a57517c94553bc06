// Issue 25 (native input): sizes that would run away, hyperparameters llama.cpp asserts on, integers
// past 32 bits and non-finite numbers are refused with a typed error before native code runs.
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel, type Model } from "../../../src/model/Model.js";
import { iit } from "../../helpers/cli.js";
import { cliPath, llamaSpmVocab, sharedDir, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";
import { editGguf } from "../../helpers/gguf.js";
import { post, startServe, type ServeProcess } from "../serve/proc.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");
const lima = join(sharedDir, "data", "lima", "lima_no_instruction.jsonl");

/** A refusal: exit 1, or 2 for INVALID_OPTION (not a signal, not a hang), the code on stderr, no stack trace, within `ms`. */
function refused(args: string[], code: RegExp, ms = 15_000) {
  const t0 = Date.now();
  const r = iit(args, { timeout: ms + 10_000 });
  expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(/INVALID_OPTION/.test(code.source) ? 2 : 1);
  expect(r.stderr, args.join(" ")).toMatch(code);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(Date.now() - t0, args.join(" ")).toBeLessThan(ms);
  return r;
}

describe.skipIf(skip)("runaway memory is refused up front (item 2)", () => {
  const train = (out: string) => [
    "train",
    "-m",
    storiesModel,
    "--data",
    lima,
    "--mode",
    "instruction",
    "-o",
    out,
    "--epochs",
    "1",
    "--max-examples",
    "2",
    "-t",
    "1",
  ];

  it("train --n-ctx 1e9 is refused at once with the estimate and the memory available", () => {
    const out = join(tempDir(), "big.gguf");
    refused([...train(out), "--n-ctx", "1000000000"], /TRAINING_TOO_LARGE.*\d+(\.\d+)? GB.*\d+(\.\d+)? GB/);
    expect(existsSync(out)).toBe(false);
  });

  it("train --n-ctx past 32 bits is refused, never wrapped around", () => {
    const out = join(tempDir(), "wrap.gguf");
    for (const n of ["2147483648", "4294967296"]) refused([...train(out), "--n-ctx", n], /INVALID_OPTION.*n-ctx/);
  });

  it("train --lora-rank 100000 and make-lora --rank 1000000 are refused at once", () => {
    const dir = tempDir();
    refused([...train(join(dir, "a.gguf")), "--lora-rank", "100000"], /INVALID_OPTION.*rank/);
    expect(readdirSync(dir)).toEqual([]);
    refused(["make-lora", "-m", storiesModel, "-o", join(dir, "l.gguf"), "--rank", "1000000"], /INVALID_OPTION.*rank/);
    expect(existsSync(join(dir, "l.gguf"))).toBe(false);
  });
});

describe.skipIf(skip)("no abort inside ggml or llama.cpp (item 3)", () => {
  it("make-model sizes beyond memory or llama.cpp's limits are refused, not aborted", () => {
    const dir = tempDir();
    const mm = (out: string) => ["make-model", "--vocab", llamaSpmVocab, "-o", join(dir, out)];
    refused([...mm("w.gguf"), "--width", "1000000000"], /MODEL_TOO_LARGE.*GB/);
    refused([...mm("l.gguf"), "--layers", "100000"], /INVALID_OPTION.*layers.*512/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a GGUF whose block_count is 2^31 is refused by inspect, generate and serve", () => {
    const bad = join(tempDir(), "layers.gguf");
    editGguf(storiesModel, bad, { "llama.block_count": { u32: 2 ** 31 } });
    for (const args of [
      ["inspect", "-m", bad],
      ["generate", "-m", bad, "-p", "Lily", "-n", "4", "-t", "1"],
      ["serve", "-m", bad, "--port", "0", "-t", "1"],
    ]) {
      refused(args, /GGUF_HPARAMS_INVALID.*block_count.*2147483648.*512/);
    }
  });

  it("every hyperparameter llama.cpp asserts on while loading is checked first", () => {
    const dir = tempDir();
    const cases: [Parameters<typeof editGguf>[2], RegExp][] = [
      [{ "llama.block_count": { u32: 0 } }, /block_count/],
      [{ "llama.expert_count": { u32: 5000 } }, /expert_count.*1024/],
      [{ "llama.expert_used_count": { u32: 2 } }, /expert_used_count/],
      [{ "llama.expert_count": { u32: 8 }, "llama.expert_used_count": { u32: 0 } }, /expert_used_count/],
      [
        {
          "llama.expert_count": { u32: 8 },
          "llama.expert_used_count": { u32: 2 },
          "llama.expert_group_count": { u32: 3 },
        },
        /expert_group_count/,
      ],
      [{ "llama.nextn_predict_layers": { u32: 6 } }, /nextn_predict_layers/],
      [{ "llama.rope.scaling.type": { str: "spiral" } }, /rope\.scaling\.type.*spiral/],
    ];
    for (const [i, [set, why]] of cases.entries()) {
      const bad = join(dir, `bad${i}.gguf`);
      editGguf(storiesModel, bad, set);
      const r = refused(["generate", "-m", bad, "-p", "Lily", "-n", "2", "-t", "1"], /GGUF_HPARAMS_INVALID/);
      expect(r.stderr, JSON.stringify(set)).toMatch(why);
    }
  });

  it("the check passes every real model: stories260K still generates", () => {
    const r = iit(["generate", "-m", storiesModel, "--template", "raw", "-p", "Lily", "-n", "4", "-t", "1"]);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe.skipIf(skip)("integers past 32 bits never wrap around (item 9)", () => {
  it("generate --top-k 4294967297 and make-model --context 2147483648 are refused", () => {
    refused(
      ["generate", "-m", storiesModel, "-p", "Lily", "-n", "4", "-t", "1", "--top-k", "4294967297"],
      /INVALID_OPTION.*--top-k/,
    );
    const out = join(tempDir(), "ctx.gguf");
    refused(
      ["make-model", "--vocab", llamaSpmVocab, "-o", out, "--context", "2147483648"],
      /INVALID_OPTION.*--context/,
    );
    expect(existsSync(out)).toBe(false);
  });

  describe("the library and the server", () => {
    let model: Model;
    let s: ServeProcess;
    beforeAll(async () => {
      model = await loadModel({ model: storiesModel, threads: 1 });
      s = await startServe(["-m", storiesModel, "-t", "1"]);
    });
    afterAll(async () => {
      model?.dispose();
      await s?.stop();
    });

    it("topK beyond 2^31 − 1 is an INVALID_OPTION in generate() and a 400 from the server", async () => {
      await expect(model.generate("Lily", { topK: 2 ** 32 + 1, maxTokens: 2 })).rejects.toMatchObject({
        code: "INVALID_OPTION",
      });
      const r = await post(`${s.url}/completions`, { prompt: "Lily", max_tokens: 2, top_k: 2 ** 32 + 1 });
      expect(r.status, r.text).toBe(400);
      expect(r.json.error.param).toBe("top_k");
    });
  });
});

describe.skipIf(skip)("non-finite numbers (item 11)", () => {
  it("a NaN-filled model fails generation with LOGITS_NOT_FINITE instead of empty output and exit 0", () => {
    const dir = tempDir();
    const nan = join(dir, "nan.gguf");
    editGguf(storiesModel, nan, {}, { fillWeights: NaN });
    refused(["generate", "-m", nan, "--template", "raw", "-p", "Lily", "-n", "8", "-t", "1"], /LOGITS_NOT_FINITE/);
    const input = join(dir, "p.jsonl");
    writeFileSync(input, '{"instruction": "Lily"}\n');
    refused(
      ["generate", "-m", nan, "-i", input, "-o", join(dir, "out.json"), "-n", "8", "-t", "1", "--temperature", "0.7"],
      /LOGITS_NOT_FINITE/,
    );
  });

  it("the server answers a NaN-filled model's completions with a 500 and stays up", async () => {
    const nan = join(tempDir(), "nan.gguf");
    editGguf(storiesModel, nan, {}, { fillWeights: NaN });
    const s = await startServe(["-m", nan, "-t", "1"]);
    try {
      const r = await post(`${s.url}/completions`, { prompt: "Lily", max_tokens: 4 });
      expect(r.status, r.text).toBe(500);
      expect(r.json.error.code).toBe("logits_not_finite");
      expect((await fetch(`${s.url.replace(/\/v1$/, "")}/health`)).status).toBe(200);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it("scales and stds beyond a 32-bit float are refused", () => {
    const dir = tempDir();
    refused(["make-lora", "-m", storiesModel, "-o", join(dir, "b.gguf"), "--b-std", "1e39"], /INVALID_OPTION.*--b-std/);
    refused(["make-lora", "-m", storiesModel, "-o", join(dir, "a.gguf"), "--alpha", "1e39"], /INVALID_OPTION.*--alpha/);
    expect(readdirSync(dir)).toEqual([]);
    const lora = join(dir, "ok.gguf");
    expect(iit(["make-lora", "-m", storiesModel, "-o", lora]).code).toBe(0);
    refused(
      ["generate", "-m", storiesModel, "--lora", `${lora}:1e40`, "-p", "Lily", "-n", "4", "-t", "1"],
      /INVALID_OPTION.*LoRA scale/,
    );
  });
});

describe.skipIf(skip)("smaller ones (item 14)", () => {
  it("lab pretrain --tokens 0 and -t 0 are refused before any work", () => {
    const dir = tempDir();
    refused(["lab", "pretrain", "-o", join(dir, "base.gguf"), "--tokens", "0"], /INVALID_OPTION.*tokens/, 5_000);
    refused(["lab", "pretrain", "-o", join(dir, "base.gguf"), "-t", "0"], /INVALID_OPTION.*threads/, 5_000);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("the warning about token rules that are not one token is capped", () => {
    const dir = tempDir();
    const rules = join(dir, "rules.json");
    const scores = Array.from({ length: 3000 }, (_, i) => ({ text: `not a token ${i} `.repeat(20), score: 1 }));
    writeFileSync(rules, JSON.stringify({ tokens: { scores } }));
    const r = iit([
      "generate",
      "-m",
      storiesModel,
      "--template",
      "raw",
      "-p",
      "Lily",
      "-n",
      "2",
      "-t",
      "1",
      "--rules",
      rules,
    ]);
    expect(r.code, r.stderr.slice(0, 500)).toBe(0);
    expect(r.stderr).toMatch(/3000 token rule\(s\).*and 29\d\d more/);
    expect(r.stderr.length).toBeLessThan(4_000);
  });
});
