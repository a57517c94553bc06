import { Command } from "commander";
import { InvalidOptionError } from "../../errors.js";
import { mergeOutputs } from "../../generation/merge.js";
import { checkOutputPath } from "../../util/outputPath.js";
import { writeJsonAtomic } from "../../util/atomicWrite.js";
import { printJson } from "../util.js";

export const mergeCommand = new Command("merge")
  .description("join the model_outputs.json parts written with --shard k/n, in input order")
  .argument("<parts...>", "shard output files, in shard order")
  .requiredOption("-o, --output <file>", "merged model_outputs.json")
  .option("-i, --input <file>", "the original prompts file: order by it and report prompts missing from every part")
  .option("--json", "print one JSON object on stdout")
  .action(async (parts: string[], opts: { output: string; input?: string; json?: boolean }) => {
    if (parts.length === 0) throw new InvalidOptionError("INVALID_OPTION", "give at least one part");
    checkOutputPath(opts.output, "-o");
    const { rows, missing } = await mergeOutputs(parts, opts.input);
    await writeJsonAtomic(opts.output, rows);
    const summary = { output: opts.output, rows: rows.length, missing: missing.length };
    if (opts.json) printJson(summary);
    else
      process.stderr.write(
        `wrote ${rows.length} rows to ${opts.output}${missing.length ? `; ${missing.length} prompts missing` : ""}\n`,
      );
  });
