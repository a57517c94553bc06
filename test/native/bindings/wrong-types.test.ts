// Every function of the raw addon, given a value of the wrong type, throws (or rejects with) a typed error
// that names the argument, and the process lives on: the library's checks are not the addon's only guard.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AddonContext, AddonModel, AddonTrainer } from "../../../src/bindings/AddonTypes.js";
import { loadAddon, mapNativeError } from "../../../src/bindings/loadAddon.js";
import { InvalidOptionError } from "../../../src/errors.js";
import { skipNoModel, storiesModel } from "../../helpers/fixtures.js";

const N_CTX = 256; // the trainer's window
const flag = () => new Int32Array(1);
const sampling = { temperature: 0, topK: 1, topP: 1, minP: 0, seed: 1 };
const genOpts = { maxTokens: 2, parallel: 1, stream: false, stop: [], sampling };
const ctxOpts = { nCtx: 128, nSeq: 1, nBatch: 64, nThreads: 1, poll: 0, kvF32: false, loras: [] };
const rules = {
  eos: { enabled: false, slope: 0, start: 0, end: 1, after: "reset", hardStopScore: 0, tokens: "eos" },
  repetition: { enabled: false, penalty: 0, scope: "response" },
  userTag: new Int32Array(0),
  eosIds: [],
  tokens: { enabled: false, ids: [], scores: [] },
  start: { enabled: false },
};
const trainerOpts = {
  modelPath: storiesModel,
  loraPath: "",
  nCtx: N_CTX,
  threads: 1,
  gpuLayers: 0,
  sgd: false,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
};

/** The call fails with INVALID_ARGUMENT naming `name`, as the typed error the library maps it to. */
async function expectWrongType(call: () => unknown, name: string): Promise<void> {
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = mapNativeError(e);
  }
  expect(error).toBeInstanceOf(InvalidOptionError);
  expect(error).toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringContaining(name) });
}

describe.skipIf(skipNoModel)("the raw addon given wrong types", () => {
  const addon = loadAddon();
  let model: AddonModel;
  let context: AddonContext;
  let trainer: AddonTrainer;
  const tok = () => model.tokenize("Once upon a time", true, false);

  beforeAll(async () => {
    model = new addon.AddonModel();
    await model.load(storiesModel, { vocabOnly: false, gpuLayers: 0, useMmap: true }, null, flag());
    context = new addon.AddonContext(model, ctxOpts);
    trainer = new addon.AddonTrainer();
    await trainer.create(trainerOpts);
  });

  afterAll(() => {
    trainer?.dispose();
    context?.dispose();
    model?.dispose();
  });

  const w = (v: unknown) => v as never; // a value the types forbid, as a caller without them could pass

  const cases: [string, () => unknown, string][] = [
    // AddonModel
    ["load: path a number", () => new addon.AddonModel().load(w(1), w({}), null, flag()), "load: path"],
    ["load: opts missing", () => new addon.AddonModel().load(storiesModel, w(undefined), null, flag()), "load: opts"],
    [
      "load: gpuLayers a string",
      () => new addon.AddonModel().load(storiesModel, w({ gpuLayers: "all" }), null, flag()),
      "load: opts.gpuLayers",
    ],
    [
      "load: onProgress a number",
      () => new addon.AddonModel().load(storiesModel, w({ gpuLayers: 0 }), w(5), flag()),
      "load: onProgress",
    ],
    [
      "load: abortFlag an array",
      () => new addon.AddonModel().load(storiesModel, w({ gpuLayers: 0 }), null, w([0])),
      "load: abortFlag",
    ],
    [
      "load: abortFlag empty",
      () => new addon.AddonModel().load(storiesModel, w({ gpuLayers: 0 }), null, new Int32Array(0)),
      "load: abortFlag",
    ],
    ["tokenize: text a number", () => model.tokenize(w(42), true, false), "tokenize: text"],
    ["detokenize: tokens an array", () => model.detokenize(w([1, 2]), false, false), "detokenize: tokens"],
    [
      "detokenize: tokens a Uint8Array",
      () => model.detokenize(w(new Uint8Array(3)), false, false),
      "detokenize: tokens",
    ],
    ["resolveTokens: texts a string", () => model.resolveTokens(w("a")), "resolveTokens: texts"],
    ["resolveTokens: texts of numbers", () => model.resolveTokens(w([1, 2])), "resolveTokens: texts[0]"],
    ["loadLora: path missing", () => model.loadLora(w(undefined)), "loadLora: path"],
    ["loraMeta: index a string", () => model.loraMeta(w("0")), "loraMeta: index"],
    [
      "embed: sequences of plain arrays",
      () => model.embed(w([[1, 2]]), { nCtx: 32, nThreads: 1, poll: 0, loras: [] }, flag()),
      "embed: seqs[0]",
    ],
    ["embed: opts missing", () => model.embed([tok()], w(undefined), flag()), "embed: opts"],
    [
      "embed: a LoRA index a string",
      () => model.embed([tok()], w({ nCtx: 32, nThreads: 1, poll: 0, loras: [{ index: "0", scale: 1 }] }), flag()),
      "embed: opts.loras[0].index",
    ],
    [
      "embed: abortFlag missing",
      () => model.embed([tok()], { nCtx: 32, nThreads: 1, poll: 0, loras: [] }, w(undefined)),
      "embed: abortFlag",
    ],
    // AddonContext
    ["new AddonContext: model a plain object", () => new addon.AddonContext(w({}), ctxOpts), "new AddonContext: model"],
    ["new AddonContext: model a context", () => new addon.AddonContext(w(context), ctxOpts), "new AddonContext: model"],
    ["new AddonContext: model a trainer", () => new addon.AddonContext(w(trainer), ctxOpts), "new AddonContext: model"],
    ["new AddonContext: opts missing", () => new addon.AddonContext(model, w(undefined)), "new AddonContext: opts"],
    [
      "new AddonContext: nCtx a string",
      () => new addon.AddonContext(model, w({ ...ctxOpts, nCtx: "128" })),
      "new AddonContext: opts.nCtx",
    ],
    [
      "new AddonContext: loras a string",
      () => new addon.AddonContext(model, w({ ...ctxOpts, loras: "none" })),
      "new AddonContext: opts.loras",
    ],
    ["generate: prompts one Int32Array", () => context.generate(w(tok()), genOpts, null, flag()), "generate: prompts"],
    ["generate: a prompt a plain array", () => context.generate(w([[1, 2]]), genOpts, null, flag()), "prompts[0]"],
    [
      "generate: sampling missing",
      () => context.generate([tok()], w({ ...genOpts, sampling: undefined }), null, flag()),
      "generate: opts.sampling",
    ],
    [
      "generate: topK a string",
      () => context.generate([tok()], w({ ...genOpts, sampling: { ...sampling, topK: "1" } }), null, flag()),
      "generate: opts.sampling.topK",
    ],
    [
      "generate: stop a string",
      () => context.generate([tok()], w({ ...genOpts, stop: "." }), null, flag()),
      "generate: opts.stop",
    ],
    [
      "generate: stop of numbers",
      () => context.generate([tok()], w({ ...genOpts, stop: [1] }), null, flag()),
      "generate: opts.stop[0]",
    ],
    ["generate: onEvent a number", () => context.generate([tok()], genOpts, w(5), flag()), "generate: onEvent"],
    [
      "generate: abortFlag empty",
      () => context.generate([tok()], genOpts, null, new Int32Array(0)),
      "generate: abortFlag",
    ],
    [
      "generate: abortFlag a Uint8Array",
      () => context.generate([tok()], genOpts, null, w(new Uint8Array(1))),
      "generate: abortFlag",
    ],
    [
      "generate: an expert that is a model",
      () => context.generate([tok()], w({ ...genOpts, experts: [{ context: model, weight: 1 }] }), null, flag()),
      "generate: opts.experts[0].context",
    ],
    [
      "generate: an expert that is a plain object",
      () => context.generate([tok()], w({ ...genOpts, experts: [{ context: {}, weight: 1 }] }), null, flag()),
      "generate: opts.experts[0].context",
    ],
    [
      "generate: rules.eos a number",
      () => context.generate([tok()], w({ ...genOpts, rules: { ...rules, eos: 1 } }), null, flag()),
      "generate: opts.rules.eos",
    ],
    [
      "generate: rules.tokens.ids of strings",
      () =>
        context.generate(
          [tok()],
          w({ ...genOpts, rules: { ...rules, tokens: { enabled: true, ids: ["a"], scores: [1] } } }),
          null,
          flag(),
        ),
      "generate: opts.rules.tokens.ids[0]",
    ],
    [
      "generate: rules.userTag a plain array",
      () => context.generate([tok()], w({ ...genOpts, rules: { ...rules, userTag: [1] } }), null, flag()),
      "generate: opts.rules.userTag",
    ],
    ["score: seqs null", () => context.score(w(null), [1], 0, flag()), "score: seqs"],
    ["score: from of strings", () => context.score([tok()], w(["1"]), 0, flag()), "score: from[0]"],
    ["score: topK a string", () => context.score([tok()], [1], w("5"), flag()), "score: topK"],
    ["score: abortFlag an array", () => context.score([tok()], [1], 0, w([])), "score: abortFlag"],
    [
      "score: rules.repetition missing",
      () => context.score([tok()], [1], 0, flag(), w({ ...rules, repetition: undefined })),
      "score: rules.repetition",
    ],
    // AddonTrainer
    ["create: opts missing", () => new addon.AddonTrainer().create(w(undefined)), "trainer.create: opts"],
    [
      "create: modelPath a number",
      () => new addon.AddonTrainer().create(w({ ...trainerOpts, modelPath: 1 })),
      "trainer.create: opts.modelPath",
    ],
    ["window: tokens a plain array", () => trainer.window(w([1]), new Int32Array(N_CTX), true, 1), "window: tokens"],
    [
      "window: labels a Uint8Array",
      () => trainer.window(new Int32Array(N_CTX), w(new Uint8Array(N_CTX)), true, 1),
      "window: labels",
    ],
    [
      "window: lossScale a string",
      () => trainer.window(new Int32Array(N_CTX), new Int32Array(N_CTX), true, w("1")),
      "window: lossScale",
    ],
    ["setPeriod: a string", () => trainer.setPeriod(w("2")), "setPeriod: period"],
    ["setLr: an object", () => trainer.setLr(w({})), "setLr: lr"],
    ["getTensor: name a number", () => trainer.getTensor(w(5)), "getTensor: name"],
    ["setTensor: name a number", () => trainer.setTensor(w(5), new Float32Array(1)), "setTensor: name"],
    ["setTensor: data a Float64Array", () => trainer.setTensor("x", w(new Float64Array(1))), "setTensor: data"],
    ["save: path a number", () => trainer.save(w(5), "weights"), "save: path"],
    ["save: what missing", () => trainer.save("/tmp/x.gguf", w(undefined)), "save: what"],
    ["loadOptimizer: path missing", () => trainer.loadOptimizer(w(undefined)), "loadOptimizer: path"],
    // Functions
    ["makeModel: opts missing", () => addon.makeModel(w(undefined)), "makeModel: opts"],
    [
      "makeModel: nLayer a string",
      () => addon.makeModel(w({ vocabPath: "v", outPath: "o", nLayer: "2" })),
      "makeModel: opts.nLayer",
    ],
    [
      "makeLora: targets a string",
      () => addon.makeLora(w({ basePath: "b", outPath: "o", rank: 1, alpha: 1, bStd: 0, seed: 1, targets: "q" })),
      "makeLora: opts.targets",
    ],
    [
      "makeLora: targets of numbers",
      () => addon.makeLora(w({ basePath: "b", outPath: "o", rank: 1, alpha: 1, bStd: 0, seed: 1, targets: [1] })),
      "makeLora: opts.targets[0]",
    ],
  ];

  it.each(cases)("%s", async (_label, call, name) => {
    await expectWrongType(call, name);
  });

  it("functions without arguments ignore extra ones", () => {
    // Calls `fn` on `self` with an argument it does not take.
    const extra = <R>(self: object, fn: () => R): R => (fn as (junk: unknown) => R).call(self, Symbol("junk"));
    expect(extra(model, model.meta).nVocab).toBeGreaterThan(0);
    expect(extra(model, model.tokenPieces).length).toBeGreaterThan(0);
    expect(extra(context, context.info).nCtx).toBeGreaterThanOrEqual(128);
    expect(extra(trainer, trainer.stepsDone)).toBe(0);
    expect(extra(trainer, trainer.gradNorm)).toBe(-1);
    expect(extra(trainer, trainer.params).length).toBeGreaterThan(0);
    expect(extra(trainer, trainer.offload).layers).toBe(0);
    expect(extra(trainer, trainer.info).nCtx).toBe(N_CTX);
    expect(extra(addon, addon.systemInfo).backends).toContain("CPU");
  });

  it("after every wrong call the model, context and trainer still work", async () => {
    const [r] = await context.generate([tok()], genOpts, null, flag());
    expect(r.tokens.length).toBe(2);
    const [s] = await context.score([tok()], [1], 0, flag());
    expect(s.tokenLogprobs.length).toBeGreaterThan(0);
    const [e] = await model.embed([tok()], { nCtx: 32, nThreads: 1, poll: 0, loras: [] }, flag());
    expect(e.length).toBe(model.meta().nEmbd);
    const tokens = new Int32Array(N_CTX).fill(model.meta().bos);
    expect(await trainer.window(tokens, new Int32Array(N_CTX).fill(-1), false, 1)).toBe(0);
  });
});
