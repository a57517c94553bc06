import type { Model } from "../model/Model.js";
import { readPrompts, shardSlice, type PromptRecord } from "./inputs.js";
import { readOutputs, writeJsonAtomic, type OutputRecord } from "./outputs.js";
import type { GenerateOptions, GenerationResult } from "./types.js";

export interface GenerateFileOptions extends Omit<GenerateOptions, "onResult"> {
  input: string;
  output: string;
  shard?: { k: number; n: number };
  /** Name written as "generator". Defaults to the model's name. */
  generator?: string;
  /** Recorded in every output row as "generator_config" (provenance). */
  config?: Record<string, unknown>;
  /** Called after each finished prompt with (done, total). */
  onProgress?: (done: number, total: number, result?: GenerationResult) => void;
}

export interface GenerateFileSummary {
  output: string;
  total: number;
  generated: number;
  skipped: number;
  tokens: number;
  seconds: number;
  aborted: boolean;
}

const SAVE_EVERY_MS = 2000;

/**
 * Generates for every prompt of a file into an AlpacaEval model_outputs.json. Resumable: prompts whose
 * instruction is already in the output are skipped; finished rows are saved atomically as they come.
 */
export async function generateFile(model: Model, o: GenerateFileOptions): Promise<GenerateFileSummary> {
  const t0 = performance.now();
  let prompts: PromptRecord[] = await readPrompts(o.input);
  if (o.shard) prompts = shardSlice(prompts, o.shard);
  const existing = await readOutputs(o.output);
  const done = new Map(existing.map((r) => [r.instruction, r]));
  const todo = prompts.filter((p) => !done.has(p.instruction));
  const generator = o.generator ?? model.name;
  let tokens = 0;
  let lastSave = Date.now();

  // Rows in input order; unfinished prompts are left out until they finish.
  const rows = (): OutputRecord[] => prompts.flatMap((p) => (done.has(p.instruction) ? [done.get(p.instruction)!] : []));
  const save = () => writeJsonAtomic(o.output, rows());
  let pending: Promise<void> = Promise.resolve();

  o.onProgress?.(prompts.length - todo.length, prompts.length);
  let aborted = false;
  try {
    await model.generate(todo, {
      ...o,
      onResult: (i, r) => {
        if (r.stopReason === "aborted") return;
        const p = todo[i];
        tokens += r.tokens.length;
        done.set(p.instruction, {
          instruction: p.instruction,
          output: r.output,
          generator,
          ...(p.dataset ? { dataset: p.dataset } : {}),
          n_tokens: r.tokens.length,
          stop_reason: r.stopReason,
          ...(o.config ? { generator_config: o.config } : {}),
        });
        o.onProgress?.(prompts.length - todo.length + (done.size - existing.length), prompts.length, r);
        if (Date.now() - lastSave > SAVE_EVERY_MS) {
          lastSave = Date.now();
          pending = pending.then(save);
        }
      },
    });
  } catch (e) {
    if ((e as { code?: string }).code !== "ABORTED") throw e;
    aborted = true;
  } finally {
    await pending;
    await save();
  }
  return {
    output: o.output,
    total: prompts.length,
    generated: done.size - existing.length,
    skipped: prompts.length - todo.length,
    tokens,
    seconds: (performance.now() - t0) / 1000,
    aborted,
  };
}
