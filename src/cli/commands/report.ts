import { Command } from "commander";
import { buildReport } from "../../report/buildReport.js";
import { collect, intOption, printJson } from "../util.js";

export const reportCommand = new Command("report")
  .description(
    "one self-contained HTML report of an experiment (table, win rates, lengths, similarity, responses) plus SVG plots",
  )
  .argument("<experiment-dir>", "an experiment's output directory (holds results.json)")
  .option("-o, --output <dir>", "where report.html and plots/ go (default: the experiment directory)")
  .option(
    "--similarity <file>",
    "a similarity analysis JSON (iit analyze similarity -o FILE) to plot (repeatable)",
    collect(String),
    [],
  )
  .option("--examples <n>", "instructions shown side by side", intOption("--examples"), 12)
  .option("--json", "print one JSON object on stdout")
  .action(async (dir: string, opts: { output?: string; similarity: string[]; examples: number; json?: boolean }) => {
    const r = await buildReport(dir, { output: opts.output, similarity: opts.similarity, examples: opts.examples });
    if (opts.json) printJson(r);
    else process.stderr.write(`wrote ${r.html} and ${r.plots.length} plots (${r.arms.length} arms)\n`);
  });
