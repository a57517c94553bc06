// train() end to end on stories260K and real LIMA data: loss falls, outputs load, resume is exact.
import { existsSync, statSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadAddon } from "../../../src/bindings/loadAddon.js";
import { AbortError, DatasetError, InvalidOptionError, TrainingError } from "../../../src/errors.js";
import { loadModel } from "../../../src/model/Model.js";
import { makeModel } from "../../../src/model/makeModel.js";
import { scoreSequences } from "../../../src/model/score.js";
import { tokenizeExample } from "../../../src/training/examples.js";
import { promptTokens } from "../../../src/model/templates.js";
import { train } from "../../../src/training/train.js";
import type { TrainOptions } from "../../../src/training/types.js";
import { iit } from "../../helpers/cli.js";
import { sharedDir, skipNoModel, storiesModel, tempDir, vocabDir } from "../../helpers/fixtures.js";

const lima = join(sharedDir, "data", "lima", "lima_no_instruction.jsonl");
const limaWithInstructions = join(sharedDir, "data", "lima", "lima_data.jsonl");
const base = { model: storiesModel, data: lima, mode: "response", nCtx: 256, threads: 1, lr: 1e-3 } as const;
const prompt = "Tell me a story about a cat.";

async function greedy(loras: { path: string }[] = [], model = storiesModel): Promise<number[]> {
  await using m = await loadModel({ model, threads: 1, loras });
  return (await m.generate(prompt, { maxTokens: 24 }))[0].tokens;
}

async function weights(model: string): Promise<Map<string, Float32Array>> {
  const t = new (loadAddon().AddonTrainer)();
  await t.create({
    modelPath: model,
    loraPath: "",
    nCtx: 256,
    threads: 1,
    gpuLayers: 0,
    sgd: true,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
  });
  try {
    return new Map(t.params().map((p) => [p.name, t.getTensor(p.name)]));
  } finally {
    t.dispose();
  }
}

describe.skipIf(skipNoModel)("train (stories260K, LIMA responses)", () => {
  const dir = tempDir();

  it("response tuning: loss falls, every tensor moves, the model loads and generates", async () => {
    const output = join(dir, "rt.gguf");
    const res = await train({ ...base, output, epochs: 3, maxExamples: 32, valFraction: 0.125 });
    expect(res.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(res.epochs[2].train_loss).toBeLessThan(res.epochs[0].train_loss - 0.5);
    expect(res.epochs.every((e) => e.val_loss !== null && Number.isFinite(e.val_loss))).toBe(true);
    expect(res.tokens_per_second).toBeGreaterThan(0);
    const [before, after] = [await weights(storiesModel), await weights(output)];
    const still = [...before]
      .filter(([name, w]) => Buffer.from(w.buffer).equals(Buffer.from(after.get(name)!.buffer)))
      .map(([n]) => n);
    expect(still).toEqual([]);
    await using m = await loadModel({ model: output, threads: 1 });
    await using b = await loadModel({ model: storiesModel, threads: 1 });
    expect(m.meta.nCtxTrain).toBe(b.meta.nCtxTrain); // the window length does not become the context length
    const [g] = await m.generate(prompt, { maxTokens: 24 });
    expect(g.tokens.length).toBeGreaterThan(0);
    expect(g.tokens).not.toEqual(await greedy());
  });

  it("a LoRA adapter trained here loads at generation time and changes the output", async () => {
    const output = join(dir, "lora.gguf");
    const res = await train({ ...base, output, epochs: 2, maxExamples: 16, loraRank: 4 });
    expect(res.epochs[1].train_loss).toBeLessThan(res.epochs[0].train_loss);
    expect(await greedy([{ path: output }])).not.toEqual(await greedy());
  });

  it("Ctrl-C mid-epoch saves a checkpoint; --resume finishes with the uninterrupted run's losses", async () => {
    const opts: TrainOptions = { ...base, epochs: 2, maxExamples: 12, batchSize: 2, output: join(dir, "full.gguf") };
    const full = await train(opts);

    const output = join(dir, "resumed.gguf");
    const ac = new AbortController();
    await expect(
      train({ ...opts, output, signal: ac.signal, onProgress: (p) => p.step === 4 && ac.abort() }),
    ).rejects.toBeInstanceOf(AbortError);
    expect(existsSync(output)).toBe(false);
    await expect(train({ ...opts, output })).rejects.toMatchObject({ code: "CHECKPOINT_EXISTS" });
    await expect(train({ ...opts, output, lr: 2e-3, resume: true })).rejects.toMatchObject({
      code: "CHECKPOINT_MISMATCH",
    });
    const resumed = await train({ ...opts, output, resume: true });
    expect(resumed.epochs.length).toBe(2);
    for (const [i, e] of resumed.epochs.entries())
      expect(Math.abs(e.train_loss - full.epochs[i].train_loss)).toBeLessThan(1e-6);
    expect(await greedy([], output)).toEqual(await greedy([], opts.output));
    expect(existsSync(`${output}.ckpt`)).toBe(false); // removed once the output is written
    // --resume once more: the run is finished, so its result comes back without training again.
    const mtime = statSync(output).mtimeMs;
    expect(await train({ ...opts, output, resume: true })).toEqual(resumed);
    expect(statSync(output).mtimeMs).toBe(mtime);
  });

  it("a constant schedule's snapshot at the end of epoch k is the k-epoch run (the lab's budgets)", async () => {
    const opts: TrainOptions = {
      ...base,
      maxExamples: 6,
      loraRank: 4,
      lrSchedule: "constant",
      warmupRatio: 0,
      output: join(dir, "budgets.gguf"),
    };
    const seen: number[] = [];
    let atTwo: number[] = [];
    await train({
      ...opts,
      epochs: 3,
      snapshotEpochs: [1, 2],
      onSnapshot: async ({ step, path }) => {
        seen.push(step);
        if (seen.length === 2) atTwo = await greedy([{ path }]);
        return false;
      },
    });
    expect(seen).toEqual([6, 12]); // one example per window and step: epoch ends at steps 6 and 12
    await train({ ...opts, epochs: 2, output: join(dir, "two-epochs.gguf") });
    expect(atTwo).toEqual(await greedy([{ path: join(dir, "two-epochs.gguf") }]));
  });

  it("--resume after a finished run trains again when the model file at the same path has changed", async () => {
    const model = join(dir, "changing.gguf");
    await writeFile(model, await readFile(storiesModel));
    const opts: TrainOptions = { ...base, model, epochs: 1, maxExamples: 4, output: join(dir, "of-changing.gguf") };
    const first = await train({ ...opts, resume: true });
    await writeFile(model, await readFile(opts.output)); // the trained weights, at the same path
    const second = await train({ ...opts, resume: true });
    expect(second.epochs[0].train_loss).not.toBe(first.epochs[0].train_loss);
  });

  it("a step's loss is the mean of its examples' mean token losses (the paper's reduction); token mean on request", async () => {
    const rows = [
      [
        { role: "user", content: "Hi." },
        {
          role: "assistant",
          content: "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine.",
        },
      ],
      [
        { role: "user", content: "Hello there." },
        { role: "assistant", content: "Tom had a dog." },
      ],
    ] as const;
    const data = join(dir, "two.jsonl");
    await writeFile(data, rows.map((messages, i) => JSON.stringify({ id: `e${i}`, messages })).join("\n") + "\n");
    // Each example's summed NLL and target count under the base model, by the inference path.
    await using m = await loadModel({ model: storiesModel, threads: 1, kvCache: "f32" });
    const per: { nll: number; n: number }[] = [];
    for (const messages of rows) {
      const ex = tokenizeExample(m, [...messages], "instruction");
      const [scored] = await scoreSequences(m, [{ tokens: Array.from(ex.tokens), from: 1 }]);
      let nll = 0;
      let n = 0;
      for (let i = 0; i + 1 < ex.tokens.length; i++) {
        if (ex.target[i + 1]) {
          nll -= scored.tokenLogprobs[i];
          n++;
        }
      }
      per.push({ nll, n });
    }
    expect(per[0].n).toBeGreaterThan(2 * per[1].n);
    const opts = { ...base, data, mode: "instruction", epochs: 1, batchSize: 2, lr: 1e-9, warmupRatio: 0 } as const;
    const stepLoss = async (o: Partial<TrainOptions>, output: string) => {
      await train({ ...opts, ...o, output: join(dir, output) });
      const log = JSON.parse(await readFile(join(dir, `${output}.train.json`), "utf8")) as {
        steps: { loss: number; grad_norm: number }[];
      };
      expect(log.steps.length).toBe(1);
      expect(log.steps[0].grad_norm).toBeGreaterThan(0);
      return log.steps[0].loss;
    };
    const perExample = (per[0].nll / per[0].n + per[1].nll / per[1].n) / 2;
    const perToken = (per[0].nll + per[1].nll) / (per[0].n + per[1].n);
    expect(Math.abs(perExample - perToken)).toBeGreaterThan(0.05);
    expect(Math.abs((await stepLoss({}, "red-example.gguf")) - perExample)).toBeLessThan(1e-4);
    expect(Math.abs((await stepLoss({ lossReduction: "token" }, "red-token.gguf")) - perToken)).toBeLessThan(1e-4);
  });

  it("--mode response on data with instructions empties the user turns itself and says so", async () => {
    const opts = { ...base, epochs: 1, maxExamples: 3 } as const;
    const warnings: string[] = [];
    await train({
      ...opts,
      data: limaWithInstructions,
      output: join(dir, "rt-ins.gguf"),
      onWarning: (w) => warnings.push(w),
    });
    expect(warnings.some((w) => /3 example\(s\) had instructions; their user turns were emptied/.test(w))).toBe(true);
    const quiet: string[] = [];
    await train({ ...opts, data: lima, output: join(dir, "rt-noins.gguf"), onWarning: (w) => quiet.push(w) });
    expect(quiet.filter((w) => /instructions/.test(w))).toEqual([]);
    // The same responses with empty user turns: the very same training run.
    const [a, b] = [await weights(join(dir, "rt-ins.gguf")), await weights(join(dir, "rt-noins.gguf"))];
    for (const [name, w] of a) expect(Buffer.from(w.buffer).equals(Buffer.from(b.get(name)!.buffer)), name).toBe(true);
  });

  it("bad input is a typed error naming the problem", async () => {
    const bad = join(dir, "bad.jsonl");
    await writeFile(bad, '{"id": "a", "messages": [{"role": "user", "content": "hi"}]}\n{"id": "b", "messages": [\n');
    await expect(train({ ...base, data: bad, output: join(dir, "x.gguf") })).rejects.toSatisfy(
      (e) => e instanceof DatasetError && /bad\.jsonl:2/.test(e.message),
    );
    await expect(train({ ...base, nCtx: 300, output: join(dir, "x.gguf") })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(train({ ...base, output: storiesModel })).rejects.toBeInstanceOf(InvalidOptionError);
    const noTargets = join(dir, "prompts-only.jsonl");
    await writeFile(noTargets, '{"id": "a", "messages": [{"role": "user", "content": "hi"}]}\n');
    await expect(train({ ...base, data: noTargets, output: join(dir, "y.gguf") })).rejects.toSatisfy(
      (e) => e instanceof TrainingError && e.code === "NO_TARGETS",
    );
  });

  it("reads the data one row at a time and stops at --max-examples: rows after those are never parsed", async () => {
    const rows = (await readFile(lima, "utf8")).split("\n").slice(0, 2).join("\n");
    const data = join(dir, "then-broken.jsonl");
    await writeFile(data, `${rows}\n{"id": "broken", "messages": [\n`);
    const res = await train({ ...base, data, output: join(dir, "two.gguf"), epochs: 1, maxExamples: 2 });
    expect(res.epochs).toHaveLength(1);
    await expect(
      train({ ...base, data, output: join(dir, "three.gguf"), epochs: 1, maxExamples: 3 }),
    ).rejects.toSatisfy((e) => e instanceof DatasetError && /then-broken\.jsonl:3/.test(e.message));
  });

  it("a quantized base is refused for full finetuning with what to do, and trains as LoRA", async () => {
    const q8 = join(dir, "q8.gguf");
    await makeModel({
      vocab: join(vocabDir, "ggml-vocab-llama-spm.gguf"),
      output: q8,
      layers: 1,
      width: 64,
      type: "q8_0",
    });
    const err = await train({ ...base, model: q8, output: join(dir, "q8-full.gguf"), maxExamples: 2 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TrainingError);
    expect(err).toMatchObject({ code: "MODEL_NOT_F32" });
    expect((err as TrainingError).suggestion).toMatch(/--lora-rank/);
    const res = await train({
      ...base,
      model: q8,
      output: join(dir, "q8-lora.gguf"),
      maxExamples: 2,
      epochs: 1,
      loraRank: 2,
    });
    expect(Number.isFinite(res.epochs[0].train_loss)).toBe(true);
  });

  it("iit train --json prints the epochs, throughput, output and the threads it ran with", async () => {
    const output = join(dir, "cli.gguf");
    const r = await iit([
      "train",
      "-m",
      storiesModel,
      "--data",
      lima,
      "--mode",
      "instruction",
      "-o",
      output,
      "--epochs",
      "1",
      "--lr",
      "1e-3",
      "--n-ctx",
      "256",
      "--max-examples",
      "4",
      "-t",
      "1",
      "--json",
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual([
      "epochs",
      "output",
      "placement",
      "poll",
      "threads",
      "tokens_per_second",
      "windows_by_threads",
    ]);
    expect(out).toMatchObject({ threads: 1, poll: 0, windows_by_threads: [4] });
    expect(Object.keys(out.epochs[0]).sort()).toEqual(["epoch", "train_loss", "val_loss"]);
    expect(existsSync(output)).toBe(true);
  });
});

describe.skipIf(skipNoModel)("training examples (stories260K vocabulary)", () => {
  it("instruction/response modes target the assistant text and its EOS only; lm targets everything", async () => {
    await using vocab = await loadModel({ model: storiesModel, vocabOnly: true });
    const messages = [
      { role: "user" as const, content: "Tell me about a cat." },
      { role: "assistant" as const, content: "The cat sat on the mat." },
    ];
    const ins = tokenizeExample(vocab, messages, "instruction");
    const lm = tokenizeExample(vocab, messages, "lm");
    expect(ins.tokens).toEqual(lm.tokens);
    expect(ins.tokens[0]).toBe(vocab.meta.bos);
    expect(ins.tokens.at(-1)).toBe(vocab.meta.eos);
    // The whole text tokenizes as one piece: masking never changes the tokens.
    expect(Array.from(ins.tokens.slice(1, -1))).toEqual(
      vocab.tokenize("<|user|>\nTell me about a cat.\n<|assistant|>\nThe cat sat on the mat."),
    );
    const first = ins.target.indexOf(1);
    expect(vocab.detokenize(ins.tokens.slice(first, -1))).toBe("The cat sat on the mat.");
    expect(ins.target.slice(first).every(Boolean)).toBe(true);
    expect(ins.target.slice(0, first).some(Boolean)).toBe(false);
    expect(lm.target.slice(1).every(Boolean)).toBe(true);
  });

  // OLMo's GGUF: GPT-NeoX's BPE with the GPT-2 pre-tokenizer (llama.cpp's "olmo" = "mpt" = "gpt-2" regex),
  // no add_bos. ggml-vocab-mpt.gguf is that vocabulary; ggml-vocab-gpt-neox.gguf lacks the pre-tokenizer key.
  it("GPT-NeoX BPE (OLMo's vocabulary, add_bos false): the ids are the whole text's, with no BOS, in training and in generation prompts", async () => {
    for (const file of ["ggml-vocab-mpt.gguf", "ggml-vocab-gpt-neox.gguf"]) {
      await using vocab = await loadModel({ model: join(vocabDir, file), vocabOnly: true });
      expect(vocab.meta.addBos, file).toBe(false);
      expect(vocab.meta.bos).toBeGreaterThanOrEqual(0); // it has one; the GGUF says not to add it
      for (const response of ["Sure.\n\nHere it is.", "1. a"]) {
        // An empty user turn: "<|user|>\n\n<|assistant|>" tokenizes "\n", "\n", "<" whole but "\n\n" as a prefix.
        const ex = tokenizeExample(
          vocab,
          [
            { role: "user", content: "" },
            { role: "assistant", content: response },
          ],
          "response",
        );
        expect(Array.from(ex.tokens), file).toEqual([
          ...vocab.tokenize(`<|user|>\n\n<|assistant|>\n${response}`),
          vocab.meta.eos,
        ]);
        expect(vocab.detokenize(ex.tokens.slice(ex.target.indexOf(1), -1))).toBe(response);
        expect(ex.target.at(-1)).toBe(1);
      }
      expect(promptTokens(vocab, "Hi", "tulu")).toEqual(vocab.tokenize("<|user|>\nHi\n<|assistant|>\n"));
    }
  });
});
