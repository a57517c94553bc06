import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { DatasetError } from "../../errors.js";
import { dataDir } from "../../data/fetch/dataDir.js";
import { filesOf } from "../../data/fetch/sources.js";

/** The `iit data get` name that downloads df_gamed.csv. */
export const LC_DATA_NAME = "alpaca-eval-lc";
const GAMED_FILE = "df_gamed.csv";
/** Where `iit data get alpaca-eval-lc` saves it under the data folder (sources.ts decides). */
const GAMED_PATH = filesOf(LC_DATA_NAME).find((f) => f.endsWith(`/${GAMED_FILE}`))!;

/** One row of AlpacaEval's `df_gamed.csv`: a length-gamed baseline judged against the baseline. */
export interface GamedRow {
  /** In [0, 1] (not AlpacaEval's [1, 2]); null when missing. */
  preference: number | null;
  std_delta_len: number;
  instruction_difficulty: number;
  not_gamed_baseline: boolean;
}

export interface GamedData {
  /** Where it was read from, for messages. */
  source: string;
  rows: GamedRow[];
  /**
   * Instruction difficulty by CSV row number, for the rows that first show each instruction `index`:
   * AlpacaEval looks annotation row g up as `df_gamed.drop_duplicates("index")["instruction_difficulty"][g]`,
   * a lookup by row label, so these are exactly the rows it can find.
   */
  difficultyByRow: Map<number, number>;
}

/** Path of df_gamed.csv under the data folder (option `dataDir` > `IIT_DATA_DIR` > the package's `data/`). */
export function gamedDataPath(dir?: string): string {
  return join(dataDir(dir), GAMED_PATH);
}

/** Reads AlpacaEval's df_gamed.csv from the data folder; a missing file says how to get it. */
export async function readGamedData(dir?: string): Promise<GamedData> {
  const path = gamedDataPath(dir);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw missing(path, cause);
  }
  return parseGamedData(text, path);
}

function missing(path: string, cause?: unknown): DatasetError {
  return new DatasetError(
    "LC_DATA_MISSING",
    `the length-controlled win rate needs AlpacaEval's ${GAMED_FILE}, not found at ${path}`,
    {
      cause,
      suggestion: `run \`iit data get ${LC_DATA_NAME}\` (or point --data-dir / IIT_DATA_DIR at a folder holding ${GAMED_PATH})`,
    },
  );
}

const REQUIRED = ["index", "preference", "std_delta_len", "instruction_difficulty", "not_gamed_baseline"] as const;

/** Parses df_gamed.csv text; other columns (model, ...) are ignored, as AlpacaEval's formula does. */
export function parseGamedData(text: string, source: string): GamedData {
  const bad = (what: string) =>
    new DatasetError("LC_DATA_MALFORMED", `${source}: ${what}`, {
      suggestion: `download it again with \`iit data get ${LC_DATA_NAME}\``,
    });
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true });
  } catch (cause) {
    throw bad(`not a CSV file (${(cause as Error).message})`);
  }
  if (records.length === 0) throw bad("no rows");
  const missing = REQUIRED.filter((c) => !(c in records[0]));
  if (missing.length > 0) throw bad(`missing column(s) ${missing.join(", ")}`);

  const rows: GamedRow[] = [];
  const difficultyByRow = new Map<number, number>();
  const seen = new Set<string>();
  records.forEach((r, i) => {
    const num = (column: string, optional = false): number | null => {
      const v = r[column].trim();
      if (optional && (v === "" || v === "nan" || v === "NaN")) return null;
      const x = Number(v);
      if (v === "" || !Number.isFinite(x)) throw bad(`row ${i + 1}: ${column} "${r[column]}" is not a number`);
      return x;
    };
    const flag = r.not_gamed_baseline.trim().toLowerCase();
    if (!["true", "false", "1", "0", "1.0", "0.0"].includes(flag)) {
      throw bad(`row ${i + 1}: not_gamed_baseline "${r.not_gamed_baseline}" is not True/False`);
    }
    const row: GamedRow = {
      preference: num("preference", true),
      std_delta_len: num("std_delta_len")!,
      instruction_difficulty: num("instruction_difficulty")!,
      not_gamed_baseline: flag === "true" || flag.startsWith("1"),
    };
    rows.push(row);
    if (!seen.has(r.index)) {
      seen.add(r.index);
      difficultyByRow.set(i, row.instruction_difficulty);
    }
  });
  return { source, rows, difficultyByRow };
}
