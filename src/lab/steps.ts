// The lab's experiment steps: write the world's files, grade generations, and grade training
// snapshots for learning curves and early stopping.
import { copyFile, rename, rm } from "node:fs/promises";
import { writeAtomic } from "../util/atomicWrite.js";
import { writeFailure } from "../util/writeErrors.js";
import { readLines, writeJsonlAtomic } from "../data/messages.js";
import { ExperimentError } from "../errors.js";
import { readOutputs } from "../generation/outputs.js";
import type { GenerateOptions } from "../model/generationTypes.js";
import { loadModel } from "../model/Model.js";
import type { LabPrompt } from "./corpus.js";
import { writeLabData } from "./files.js";
import { breakdown, gradeOutput, summarize, type Grade, type GradeSummary } from "./grade.js";
import { labModelName, worldSeedOf } from "./pretrain.js";
import { makeWorld, type World } from "./world.js";

/** Writes the world's files into `dir` after checking that the base model was pretrained on this world. */
export async function runWorldStep(dir: string, seed: number, baseModel: string): Promise<Record<string, unknown>> {
  const vocab = await loadModel({ model: baseModel, vocabOnly: true });
  const name = vocab.meta.metadata["general.name"];
  vocab.dispose();
  const baseSeed = worldSeedOf(name);
  if (baseSeed !== seed) {
    throw new ExperimentError(
      "LAB_WORLD_MISMATCH",
      baseSeed === null
        ? `${baseModel} is not a lab base model (general.name "${name ?? ""}", expected "${labModelName(seed)}")`
        : `${baseModel} was pretrained on world ${baseSeed}, but the config's lab.world is ${seed}`,
      {
        suggestion: `set lab.world to the base's world, or make a base for world ${seed}: iit lab pretrain --seed ${seed}`,
      },
    );
  }
  const w = makeWorld({ seed });
  await writeLabData(w, dir);
  return { world: seed, creatures: w.creatures.length };
}

export async function readLabPrompts(path: string): Promise<LabPrompt[]> {
  const rows: LabPrompt[] = [];
  for await (const { text } of readLines(path)) if (text.trim()) rows.push(JSON.parse(text) as LabPrompt);
  return rows;
}

/** Grades a generation file row by row against its prompts; writes `grades.jsonl`. */
export async function gradeFile(w: World, prompts: LabPrompt[], outputsPath: string, gradesPath: string) {
  const rows = await readOutputs(outputsPath);
  const byInstruction = new Map(rows.map((r) => [r.instruction, r]));
  const grades: Grade[] = [];
  const lines: unknown[] = [];
  for (const p of prompts) {
    const r = byInstruction.get(p.instruction);
    if (!r) throw new ExperimentError("LAB_OUTPUT_MISSING", `${outputsPath} has no output for "${p.instruction}"`);
    const g = gradeOutput(w, p, r.output, r.stop_reason === "eos");
    grades.push(g);
    lines.push({
      creature: p.creature,
      task: p.task,
      group: p.group,
      instruction: p.instruction,
      output: r.output,
      ...g,
    });
  }
  await writeJsonlAtomic(gradesPath, lines);
  return breakdown(w, prompts, grades);
}

export interface CurvePoint {
  step: number;
  /** The training budget (epochs) this snapshot ends. */
  epochs: number;
  dev: GradeSummary;
  eval: GradeSummary;
}

/**
 * The snapshot hook of a lab arm's training, called at the end of each budget (`budgets`, epochs): it
 * generates the dev and eval prompts with the snapshot, grades them, and keeps the best snapshot by dev
 * strict score (ties: dev correct, then the smaller budget) in `bestPath`. Only dev scores choose; eval
 * scores are only recorded.
 */
export function labSnapshotGrader(o: {
  world: World;
  dev: LabPrompt[];
  eval: LabPrompt[];
  baseModel: string;
  lora: boolean;
  threads?: number;
  generation: GenerateOptions;
  bestPath: string;
  budgets: readonly number[];
}) {
  const curve: CurvePoint[] = [];
  let best: CurvePoint | null = null;
  const onSnapshot = async ({ step, path }: { step: number; path: string }): Promise<boolean> => {
    await using model = await loadModel(
      o.lora ? { model: o.baseModel, loras: [{ path }], threads: o.threads } : { model: path, threads: o.threads },
    );
    const prompts = [...o.dev, ...o.eval];
    const out = await model.generate(
      prompts.map((p) => p.instruction),
      o.generation,
    );
    const grades = out.map((r, i) => gradeOutput(o.world, prompts[i], r.output, r.stopReason === "eos"));
    const point = {
      step,
      epochs: o.budgets[curve.length],
      dev: summarize(o.world, o.dev, grades.slice(0, o.dev.length)),
      eval: summarize(o.world, o.eval, grades.slice(o.dev.length)),
    };
    curve.push(point);
    // Dev strict chooses; dev correct breaks ties; a later budget must be strictly better to win.
    const better =
      !best ||
      point.dev.strict > best.dev.strict ||
      (point.dev.strict === best.dev.strict && point.dev.correct > best.dev.correct);
    if (better) {
      best = point;
      await writeAtomic(o.bestPath, (tmp) => copyFile(path, tmp)); // a full disk keeps the previous best whole
    }
    return false;
  };
  return {
    onSnapshot,
    curve,
    best: () => best,
    /** Makes the best snapshot the training output. */
    finish: async (output: string) => {
      if (best) await rename(o.bestPath, output).catch((e: unknown) => Promise.reject(writeFailure(e, output)));
      else await rm(o.bestPath, { force: true });
    },
  };
}
