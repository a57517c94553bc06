import { Command } from "commander";
import { InvalidOptionError } from "../../errors.js";
import { readAnnotations } from "../../eval/annotations.js";
import { lengthControlledWinRate, type LengthControlledResult } from "../../eval/lengthControlled.js";
import { computeWinRate, type WinRateSummary } from "../../eval/winrate.js";

interface WinrateOptions {
  annotations: string;
  json: boolean;
  lengthControlled: boolean;
  dataDir?: string;
}

interface RawOptions {
  annotations?: string;
  json: boolean;
  lengthControlled: boolean;
  dataDir?: string;
}

/** `winrate --annotations FILE [--length-controlled] [--json]`: AlpacaEval's win-rate metrics for one annotations file. */
export const winrateCommand = new Command("winrate")
  .description(
    "AlpacaEval win rate, standard error and counts from an annotations file (output_2 vs the reference output_1)",
  )
  .requiredOption("--annotations <file>", "AlpacaEval annotations.json (JSON array with preference in [1, 2])")
  .option(
    "--length-controlled",
    "also AlpacaEval 2's length-controlled win rate (needs `iit data get alpaca-eval-lc`; rows in AlpacaEval's instruction order)",
    false,
  )
  .option(
    "--data-dir <dir>",
    "the data folder holding alpaca_eval/df_gamed.csv (default IIT_DATA_DIR, else the package's data/)",
  )
  .option("--json", "print one JSON object on stdout", false)
  .action(async (raw: RawOptions) => {
    const opts = parseOptions(raw);
    const annotations = await readAnnotations(opts.annotations);
    const summary: WinRateSummary & Partial<LengthControlledResult> = opts.lengthControlled
      ? await lengthControlledWinRate(annotations, { dataDir: opts.dataDir })
      : computeWinRate(annotations);
    if (summary.lc_extreme_change && summary.length_controlled_winrate !== undefined) {
      process.stderr.write(
        `warning: the length-controlled win rate (${summary.length_controlled_winrate.toFixed(1)}%) is far from the raw one ` +
          `(${summary.win_rate.toFixed(1)}%); AlpacaEval warns that this may be a failure of the GLM\n`,
      );
    }
    process.stdout.write(opts.json ? JSON.stringify(summary) + "\n" : formatSummary(summary, opts.annotations));
  });

function parseOptions(raw: RawOptions): WinrateOptions {
  const annotations = raw.annotations;
  if (typeof annotations !== "string" || annotations.trim() === "") {
    throw new InvalidOptionError("INVALID_OPTION", "--annotations needs a file path", {
      suggestion: "e.g. --annotations results/my-model/annotations.json",
    });
  }
  if (raw.dataDir !== undefined && !raw.lengthControlled) {
    throw new InvalidOptionError("INVALID_OPTION", "--data-dir is only read with --length-controlled", {
      suggestion: "add --length-controlled, or drop --data-dir",
    });
  }
  return {
    annotations,
    json: raw.json === true,
    lengthControlled: raw.lengthControlled === true,
    dataDir: raw.dataDir,
  };
}

/** A short two-column table; NaN (e.g. the SE of a single row) prints as "n/a". */
export function formatSummary(s: WinRateSummary & Partial<LengthControlledResult>, source: string): string {
  const num = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");
  const rows: [string, string][] = [["win rate", `${num(s.win_rate, 2)} ± ${num(s.standard_error, 2)}`]];
  if (s.length_controlled_winrate !== undefined) {
    rows.push([
      "length-controlled",
      `${num(s.length_controlled_winrate, 2)} ± ${num(s.lc_standard_error ?? Number.NaN, 2)}`,
    ]);
  }
  rows.push(
    ["discrete win rate", num(s.discrete_win_rate, 2)],
    ["wins / losses / draws", `${s.n_wins} / ${s.n_wins_base} / ${s.n_draws}`],
    ["judged rows", String(s.n_total)],
    ["avg output_2 length", `${num(s.avg_length, 1)} chars`],
  );
  const w = Math.max(...rows.map(([k]) => k.length));
  return `${source}\n` + rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join("\n") + "\n";
}
