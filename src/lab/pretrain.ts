// `iit lab pretrain`: the lab's base model from nothing — world, tokenizer, random llama, then
// language-model pretraining with our own trainer.
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { checkOutputPath } from "../util/outputPath.js";
import { AbortError } from "../errors.js";
import { dirname, join, resolve } from "node:path";
import { writeJsonlAtomic } from "../data/messages.js";
import { tuluPrompt } from "../data/template.js";
import { makeModel } from "../model/makeModel.js";
import { checkpointDir } from "../training/checkpoint.js";
import { checkSeed } from "../util/seed.js";
import { checkThreads } from "../model/threads.js";
import { checkInt } from "../util/numbers.js";
import { sha256File } from "../util/sha256File.js";
import { train } from "../training/train.js";
import type { TrainProgress, TrainResult } from "../training/types.js";
import { labPrompts, pretrainingDocs, probePrompt, tuningSets } from "./corpus.js";
import { buildVocab, writeVocabGguf } from "./tokenizer.js";
import { makeWorld, type World } from "./world.js";

/** The shape and recipe of the shipped base (docs/lab.md explains each choice). */
export const LAB_BASE_DEFAULTS = {
  tokens: 1_500_000,
  layers: 4,
  width: 128,
  heads: 4,
  ff: 384,
  nCtx: 256,
  lr: 1e-3,
  warmupRatio: 0.03,
};

export interface LabPretrainOptions extends Partial<typeof LAB_BASE_DEFAULTS> {
  /** World seed. */
  seed: number;
  output: string;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  onStage?: (stage: string) => void;
}

export interface LabPretrainResult extends TrainResult {
  sha256: string;
  vocabSize: number;
  documents: number;
  seconds: number;
}

/** `general.name` of a lab base: the world seed it was pretrained on is read back from it. */
export const labModelName = (seed: number) => `iit-lab-base world=${seed}`;
export function worldSeedOf(generalName: string | undefined): number | null {
  const m = /^iit-lab-base world=(-?\d+)$/.exec(generalName ?? "");
  return m ? Number(m[1]) : null;
}

/** Every text the lab will ever tokenize, so the vocabulary covers it with whole words. */
export function labTexts(w: World, docs: string[]): string[] {
  const sets = tuningSets(w);
  const prompts = labPrompts(w);
  const msgs = Object.values(sets).flatMap((rows) => rows.flatMap((r) => r.messages.map((m) => m.content)));
  const qs = [...prompts.dev, ...prompts.eval].flatMap((p) => [tuluPrompt(p.instruction), probePrompt(p.instruction)]);
  return [...docs, ...msgs, ...qs, tuluPrompt("")];
}

export async function labPretrain(o: LabPretrainOptions): Promise<LabPretrainResult> {
  const t0 = performance.now();
  checkSeed(o.seed, "world seed");
  const p = { ...LAB_BASE_DEFAULTS, ...o };
  // Checked before the world and tokenizer are built: these failed only after minutes of work.
  checkInt(p.tokens, "--tokens", { min: 1 });
  if (o.threads !== undefined) checkThreads(o.threads);
  const output = resolve(o.output);
  checkOutputPath(o.output, "-o", { createParents: true }); // before minutes of work
  const work = `${output}.work`;
  await mkdir(work, { recursive: true });
  try {
    return await pretrainIn(work, output, p, o, t0);
  } catch (e) {
    // The work files are remade the same from the seed, so they never need to outlive a run; the
    // checkpoint (OUTPUT.ckpt, written on an interrupt) is what a rerun continues from.
    await rm(work, { recursive: true, force: true });
    if (e instanceof AbortError) {
      const ckpt = checkpointDir(output);
      const resume = existsSync(join(ckpt, "state.json"))
        ? `its checkpoint is in ${ckpt}: run the same iit lab pretrain (or iit lab run) again to continue from it, or delete that folder to start over`
        : "nothing was saved yet: run the same command again to start it";
      throw new AbortError(`lab pretraining stopped; ${resume}`, { cause: e });
    }
    throw e;
  }
}

async function pretrainIn(
  work: string,
  output: string,
  p: typeof LAB_BASE_DEFAULTS,
  o: LabPretrainOptions,
  t0: number,
): Promise<LabPretrainResult> {
  o.onStage?.(`world ${o.seed}: documents and tokenizer`);
  const world = makeWorld({ seed: o.seed });
  const docs = pretrainingDocs(world, { tokens: p.tokens });
  const vocab = buildVocab(labTexts(world, docs), ["\u2581<"]);
  await writeVocabGguf(join(work, "vocab.gguf"), vocab, labModelName(o.seed));
  await writeJsonlAtomic(
    join(work, "pretrain.jsonl"),
    docs.map((text) => ({ text })),
  );
  o.onStage?.(`random llama ${p.layers}x${p.width}, vocabulary ${vocab.tokens.length}`);
  await makeModel({
    vocab: join(work, "vocab.gguf"),
    output: join(work, "init.gguf"),
    layers: p.layers,
    width: p.width,
    heads: p.heads,
    ff: p.ff,
    context: p.nCtx,
    seed: o.seed,
    name: labModelName(o.seed),
  });
  o.onStage?.(`pretraining on ${docs.length} documents`);
  await mkdir(dirname(output), { recursive: true });
  const r = await train({
    model: join(work, "init.gguf"),
    data: join(work, "pretrain.jsonl"),
    mode: "lm",
    output,
    epochs: 1,
    lr: p.lr,
    warmupRatio: p.warmupRatio,
    nCtx: p.nCtx,
    pack: true,
    batchSize: 1,
    // Language modelling: the mean over every token of the window, unclipped (the paper's finetuning
    // recipe — per-example means, clipping at 1.0 — is for the tuned arms).
    lossReduction: "token",
    maxGradNorm: 0,
    seed: o.seed,
    valFraction: 0.01,
    resume: true,
    ...(o.threads === undefined ? {} : { threads: o.threads }),
    signal: o.signal,
    onProgress: o.onProgress,
  });
  await rm(work, { recursive: true, force: true });
  const sha256 = await sha256File(output);
  return {
    ...r,
    sha256,
    vocabSize: vocab.tokens.length,
    documents: docs.length,
    seconds: (performance.now() - t0) / 1000,
  };
}
