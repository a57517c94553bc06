import type { Model } from "../model/Model.js";
import { readPrompts, shardSlice, type PromptRecord } from "./inputs.js";
import { journalPath, openJournal, readJournal } from "./journal.js";
import { IitError, OutputWriteError } from "../errors.js";
import { writeJsonAtomic } from "../util/atomicWrite.js";
import { readOutputs, type OutputRecord } from "./outputs.js";
import { checkOutputPath } from "../util/outputPath.js";
import { Occurrences, rowKey } from "./rowKeys.js";
import { checkResumeSettings } from "./settings.js";
import type { GenerateOptions, GenerationResult } from "../model/generationTypes.js";

/** A journal line's own field: which occurrence of its instruction the row answers (stripped when folded in). */
const JOURNAL_OCCURRENCE = "input_occurrence";

export interface GenerateFileOptions extends Omit<GenerateOptions, "onResult"> {
  input: string;
  output: string;
  shard?: { k: number; n: number };
  /** Name written as "generator". Defaults to the model's name. */
  generator?: string;
  /** Recorded in every output row as "generator_config" (provenance); a resume with other settings is refused. */
  config?: Record<string, unknown>;
  /** Resume even if rows already in the output were made with another config (they are kept as they are). */
  force?: boolean;
  /** Called after each finished prompt with (done, total). */
  onProgress?: (done: number, total: number, result?: GenerationResult) => void;
}

export interface GenerateFileSummary {
  output: string;
  total: number;
  generated: number;
  skipped: number;
  /** Rows of the output whose instructions are not in this input: kept, after the input's rows. */
  kept: number;
  tokens: number;
  seconds: number;
  aborted: boolean;
}

/**
 * Generates for every prompt of a file into an AlpacaEval model_outputs.json. Resumable: prompts whose
 * instruction is already in the output are skipped. No row already in the output is ever dropped, and
 * each finished row is appended to a journal beside the output at once, so a kill at any moment loses
 * only the rows still being decoded (the next run folds the journal in).
 */
export async function generateFile(model: Model, opts: GenerateFileOptions): Promise<GenerateFileSummary> {
  const t0 = performance.now();
  let prompts: PromptRecord[] = await readPrompts(opts.input);
  if (opts.shard) prompts = shardSlice(prompts, opts.shard);
  checkOutputPath(opts.output, "--output");
  // Rows by key (rowKeys.ts): the file's in its order, then the journal's, which say their occurrence
  // themselves (with --parallel a second "Lily" can finish before the first).
  const seen = new Occurrences();
  const done = new Map<string, OutputRecord>();
  for (const r of await readOutputs(opts.output)) done.set(rowKey(r.instruction, seen.next(r.instruction)), r);
  const journaled = readJournal(opts.output);
  for (const { [JOURNAL_OCCURRENCE]: at, ...r } of journaled) {
    done.set(rowKey(r.instruction, seen.next(r.instruction, typeof at === "number" ? at : undefined)), r);
  }
  const existing = [...done];
  const inOrder = new Occurrences();
  const wanted = prompts.map((p) => {
    const occurrence = inOrder.next(p.instruction);
    return { p, occurrence, key: rowKey(p.instruction, occurrence) };
  });
  const keys = wanted.map((x) => x.key);
  const inInput = new Set(keys);
  if (!opts.force)
    checkResumeSettings(
      opts.output,
      existing.filter(([k]) => inInput.has(k)).map(([, r]) => r),
      opts.config,
    );
  const todo = wanted.filter((x) => !done.has(x.key));
  const generator = opts.generator ?? model.name;
  let tokens = 0;

  // Rows in input order (unfinished prompts left out until they finish), then earlier rows of other inputs.
  const others = () => existing.filter(([k]) => !inInput.has(k)).map(([, r]) => r);
  const rows = (): OutputRecord[] => [...keys.flatMap((k) => (done.has(k) ? [done.get(k)!] : [])), ...others()];
  const journal = openJournal(opts.output);
  // A journal that cannot take a row (a full disk) stops the run: its error is thrown after the fold.
  let journalError: unknown;
  const stop = new AbortController();

  opts.onProgress?.(prompts.length - todo.length, prompts.length);
  let aborted = false;
  let failure: unknown;
  try {
    await model.generate(
      todo.map((x) => x.p),
      {
        ...opts,
        signal: opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal,
        onResult: (i, r) => {
          if (r.stopReason === "aborted") return;
          const { p, key, occurrence } = todo[i];
          tokens += r.tokens.length;
          const row: OutputRecord = {
            instruction: p.instruction,
            output: r.output,
            generator,
            ...(p.dataset ? { dataset: p.dataset } : {}),
            n_tokens: r.tokens.length,
            stop_reason: r.stopReason,
            ...(opts.config ? { generator_config: opts.config } : {}),
          };
          done.set(key, row);
          if (journalError) return;
          try {
            journal.append({ ...row, [JOURNAL_OCCURRENCE]: occurrence });
          } catch (e) {
            journalError = e;
            stop.abort();
          }
          opts.onProgress?.(prompts.length - todo.length + (done.size - existing.length), prompts.length, r);
        },
      },
    );
  } catch (e) {
    if ((e as { code?: string }).code !== "ABORTED" || journalError) failure = journalError ?? e;
    else aborted = true;
  }
  journal.close();
  // Fold the rows in only if there is something to add: a run that made nothing leaves the output as it
  // was (no empty [] for a run that failed). If the fold fails, the output and the journal stay as they are.
  if (done.size > existing.length || journaled.length) {
    try {
      await writeJsonAtomic(opts.output, rows());
      journal.remove();
    } catch (e) {
      failure ??=
        e instanceof IitError && e.code === "DISK_FULL"
          ? new OutputWriteError(e.code, e.message, {
              cause: e,
              suggestion: `${e.suggestion}; this run's rows wait in ${journalPath(opts.output)}: the same command, run again with room, folds them in`,
            })
          : e;
    }
  } else {
    journal.remove(); // at most the torn line of a kill: no row in it
  }
  if (failure) throw failure;
  return {
    output: opts.output,
    total: prompts.length,
    generated: done.size - existing.length,
    skipped: prompts.length - todo.length,
    kept: others().length,
    tokens,
    seconds: (performance.now() - t0) / 1000,
    aborted,
  };
}
