import { AbortError, DatasetError, InvalidOptionError } from "../../errors.js";
import { dropInstructions, writeJsonlAtomic, type MessagesRow } from "../messages.js";
import { readRows } from "../readers.js";
import { alpaca } from "./alpaca.js";
import { gsm8k } from "./gsm8k.js";
import { lima } from "./lima.js";
import { mbpp } from "./mbpp.js";
import { messages } from "./messages.js";
import { pgn } from "./pgn.js";
import { poetry } from "./poetry.js";
import { recipes } from "./recipes.js";
import type { Converter } from "./types.js";
import { checkOutputPath } from "../../util/outputPath.js";

export type { ConvertContext, Converter } from "./types.js";

/** Every source format `iit data convert --format` accepts. */
export const CONVERTERS = { lima, alpaca, gsm8k, mbpp, poetry, recipes, pgn, messages } satisfies Record<
  string,
  Converter
>;
export type DatasetFormat = keyof typeof CONVERTERS;
export const DATASET_FORMATS = Object.keys(CONVERTERS) as DatasetFormat[];

export function converterFor(format: string): Converter {
  if (!Object.hasOwn(CONVERTERS, format)) {
    throw new InvalidOptionError("INVALID_OPTION", `unknown dataset format "${format}"`, {
      suggestion: `--format one of ${DATASET_FORMATS.join(", ")}`,
    });
  }
  return CONVERTERS[format as DatasetFormat];
}

export interface ReadDatasetOptions {
  /** At most this many examples; default: the paper's cap for the format (all for lima/alpaca/messages). */
  limit?: number;
  signal?: AbortSignal;
}

export interface ReadDatasetResult {
  rows: MessagesRow[];
  /** The limit applied (null = none). */
  limit: number | null;
  notes: string[];
}

/** Reads a source dataset file and builds its examples in memory (nothing is written). */
export async function readDataset(
  format: string,
  input: string,
  opts: ReadDatasetOptions = {},
): Promise<ReadDatasetResult> {
  const converter = converterFor(format);
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit > 0)) {
    throw new InvalidOptionError("INVALID_OPTION", `--limit must be a positive integer, got ${opts.limit}`);
  }
  const limit = opts.limit ?? converter.defaultLimit ?? null;
  const notes: string[] = [];
  const rows: MessagesRow[] = [];
  for await (const row of converter.convert(readRows(input), { note: (m) => notes.push(m) })) {
    if (opts.signal?.aborted) throw new AbortError();
    rows.push(row);
    if (limit !== null && rows.length >= limit) {
      if (opts.limit === undefined) notes.push(`stopped at the paper's cap of ${limit} examples (--limit N to change)`);
      break;
    }
  }
  return { rows, limit, notes };
}

export interface ConvertOptions extends ReadDatasetOptions {
  format: string;
  input: string;
  output: string;
  /** Empty every user turn: response-tuning data. */
  dropInstructions?: boolean;
}

export interface ConvertResult {
  format: string;
  input: string;
  output: string;
  examples: number;
  limit: number | null;
  dropInstructions: boolean;
  notes: string[];
}

/**
 * Converts a dataset file to messages JSONL. Everything is built before anything is written, and the
 * write is atomic: a failure at any point leaves no output file (or the previous one untouched).
 */
export async function convertDataset(opts: ConvertOptions): Promise<ConvertResult> {
  checkOutputPath(opts.output, "--output", { createParents: true });
  const { rows, limit, notes } = await readDataset(opts.format, opts.input, opts);
  if (rows.length === 0) {
    throw new DatasetError("DATA_EMPTY", `${opts.input}: no examples found for --format ${opts.format}`, {
      suggestion: `check the file: ${converterFor(opts.format).reads}`,
    });
  }
  const drop = opts.dropInstructions === true;
  await writeJsonlAtomic(opts.output, drop ? dropInstructions(rows) : rows);
  return {
    format: opts.format,
    input: opts.input,
    output: opts.output,
    examples: rows.length,
    limit,
    dropInstructions: drop,
    notes,
  };
}
