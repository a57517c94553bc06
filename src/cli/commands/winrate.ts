import { Command } from "commander";
import { InvalidOptionError } from "../../errors.js";
import { readAnnotations } from "../../eval/annotations.js";
import { computeWinRate, type WinRateSummary } from "../../eval/winrate.js";

interface WinrateOptions {
  annotations: string;
  json: boolean;
}

/** `winrate --annotations FILE [--json]`: AlpacaEval's win-rate metrics for one annotations file. */
export const winrateCommand = new Command("winrate")
  .description("AlpacaEval win rate, standard error and counts from an annotations file (output_2 vs the reference output_1)")
  .requiredOption("--annotations <file>", "AlpacaEval annotations.json (JSON array with preference in [1, 2])")
  .option("--json", "print one JSON object on stdout", false)
  .action(async (raw: { annotations?: string; json: boolean }) => {
    const opts = parseOptions(raw);
    const summary = computeWinRate(await readAnnotations(opts.annotations));
    process.stdout.write(opts.json ? JSON.stringify(summary) + "\n" : formatSummary(summary, opts.annotations));
  });

function parseOptions(raw: { annotations?: string; json: boolean }): WinrateOptions {
  const annotations = raw.annotations;
  if (typeof annotations !== "string" || annotations.trim() === "") {
    throw new InvalidOptionError("INVALID_OPTION", "--annotations needs a file path", {
      suggestion: "e.g. --annotations results/my-model/annotations.json",
    });
  }
  return { annotations, json: raw.json === true };
}

/** A short two-column table; NaN (e.g. the SE of a single row) prints as "n/a". */
export function formatSummary(s: WinRateSummary, source: string): string {
  const num = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");
  const rows: [string, string][] = [
    ["win rate", `${num(s.win_rate, 2)} ± ${num(s.standard_error, 2)}`],
    ["discrete win rate", num(s.discrete_win_rate, 2)],
    ["wins / losses / draws", `${s.n_wins} / ${s.n_wins_base} / ${s.n_draws}`],
    ["judged rows", String(s.n_total)],
    ["avg output_2 length", `${num(s.avg_length, 1)} chars`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return `${source}\n` + rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join("\n") + "\n";
}
