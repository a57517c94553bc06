import { loadModel } from "../../model/Model.js";
import { Command } from "commander";
import { InvalidOptionError } from "../../errors.js";
import { CONVERTERS, convertDataset, DATASET_FORMATS, type ConvertResult } from "../../data/convert/index.js";
import { readMessagesJsonl } from "../../data/messages.js";
import { computeStats, type CountTokens, type DatasetStats, type Summary } from "../../data/stats.js";
import { fetchData, type FetchDataResult } from "../../data/fetch/fetchData.js";
import { DATA_NAMES, DATA_SOURCES } from "../../data/fetch/sources.js";
import { interruptSignal, intOption, printJson } from "../util.js";

function requirePath(v: string | undefined, name: string, example: string): string {
  if (typeof v !== "string" || v.trim() === "") {
    throw new InvalidOptionError("INVALID_OPTION", `--${name} needs a file path`, {
      suggestion: `e.g. --${name} ${example}`,
    });
  }
  return v;
}

const formatHelp = DATASET_FORMATS.map((f) => `  ${f.padEnd(9)} ${CONVERTERS[f].reads}`).join("\n");

function convertCommand(): Command {
  return new Command("convert")
    .description(
      "convert a dataset, as its publishers distribute it, to messages JSONL (the paper's instruction/response construction)",
    )
    .option("--format <name>", `source dataset: ${DATASET_FORMATS.join("|")}`)
    .option("--input <file>", "source file (.jsonl, .json, .csv, .parquet, .txt)")
    .option("--output <file>", "messages JSONL to write (atomically)")
    .option("--drop-instructions", "empty every user turn: response-tuning data", false)
    .option("--limit <n>", "at most N examples (default: the paper's cap for the format)", intOption("--limit"))
    .option("--json", "print one JSON object on stdout", false)
    .addHelpText("after", `\nFormats and what they read:\n${formatHelp}\n`)
    .exitOverride()
    .action(
      async (raw: {
        format?: string;
        input?: string;
        output?: string;
        dropInstructions: boolean;
        limit?: number;
        json: boolean;
      }) => {
        if (typeof raw.format !== "string") {
          throw new InvalidOptionError("INVALID_OPTION", "--format is required", {
            suggestion: `--format ${DATASET_FORMATS.join("|")}`,
          });
        }
        const result = await convertDataset({
          format: raw.format,
          input: requirePath(raw.input, "input", "train.parquet"),
          output: requirePath(raw.output, "output", "data/gsm8k.jsonl"),
          dropInstructions: raw.dropInstructions === true,
          limit: raw.limit,
        });
        for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
        if (raw.json === true) printJson(result);
        else process.stderr.write(formatConvert(result));
      },
    );
}

const namesHelp = DATA_NAMES.map((n) => `  ${n.padEnd(15)} ${DATA_SOURCES[n].description}`).join("\n");

function getCommand(): Command {
  return new Command("get")
    .description(
      "download datasets the paper uses into data/ (or --data-dir / IIT_DATA_DIR) and convert them to ready JSONL/JSON",
    )
    .argument("[names...]", `one or more of ${DATA_NAMES.join(", ")}`)
    .option("--data-dir <dir>", "where to write (default: IIT_DATA_DIR, else the package's data/)")
    .option("--force", "download and convert again even when data/manifest.json says a name is complete", false)
    .option("--json", "print one JSON object on stdout", false)
    .addHelpText(
      "after",
      `\nNames:\n${namesHelp}\n\nHF_ENDPOINT and IIT_GITHUB_ENDPOINT point at mirrors; HF_TOKEN is needed for lima (gated).\n`,
    )
    .exitOverride()
    .action(async (names: string[], raw: { dataDir?: string; force: boolean; json: boolean }) => {
      // A signal stops the transfer; the partial file stays for the next run to resume.
      const result = await fetchData(names, {
        dataDir: raw.dataDir,
        force: raw.force === true,
        signal: interruptSignal(),
      });
      if (raw.json === true) printJson(result);
      else process.stderr.write(formatGet(result));
    });
}

function formatGet(r: FetchDataResult): string {
  const lines: string[] = [];
  for (const item of r.items) {
    for (const note of item.notes) lines.push(`${item.name}: note: ${note}`);
    for (const o of item.outputs)
      lines.push(
        `${item.name}: ${item.skipped ? "have" : "wrote"} ${r.dataDir}/${o.file} (${o.rows} ${o.file.endsWith(".txt") ? "lines" : "records"})`,
      );
  }
  lines.push(`manifest: ${r.manifest}`);
  return lines.join("\n") + "\n";
}

function formatConvert(r: ConvertResult): string {
  const kind = r.dropInstructions ? " (instructions dropped)" : "";
  return `wrote ${r.examples} ${r.format} examples${kind} to ${r.output}\n`;
}

function statsCommand(countTokens?: CountTokens): Command {
  return new Command("stats")
    .description("size of a messages JSONL dataset: examples, turns, lengths per role")
    .option("--input <file>", "messages JSONL")
    .option("-m, --model <gguf>", "count tokens with this model's tokenizer (vocabulary only is loaded)")
    .exitOverride()
    .option("--json", "print one JSON object on stdout", false)
    .action(async (raw: { input?: string; model?: string; json: boolean }) => {
      const input = requirePath(raw.input, "input", "data/lima_data.jsonl");
      const rows = await readMessagesJsonl(input);
      if (typeof raw.model !== "string") {
        const stats = await computeStats(rows, { countTokens });
        if (raw.json === true) printJson({ input, ...stats });
        else process.stdout.write(formatStats(stats, input));
        return;
      }
      await using model = await loadModel({ model: raw.model, vocabOnly: true });
      const stats = await computeStats(rows, { countTokens: (text) => model.tokenize(text).length });
      if (raw.json === true) printJson({ input, ...stats });
      else process.stdout.write(formatStats(stats, input));
    });
}

/** A small table: one line per role with mean/median/max lengths. */
export function formatStats(s: DatasetStats, source: string): string {
  const fmt = (x: Summary) => `${x.mean.toFixed(1)} / ${x.median} / ${x.max}`;
  const lines = [
    source,
    `  examples     ${s.examples} (${s.multiTurn} multi-turn), ${s.turns} turns`,
    `  chars per turn (mean / median / max)`,
  ];
  for (const role of ["user", "assistant", "system"] as const) {
    const r = s[role];
    if (!r) continue;
    const empty = r.empty ? `, ${r.empty} empty` : "";
    lines.push(`    ${role.padEnd(10)} ${fmt(r.chars)}  (${r.turns} turns${empty})`);
    if (r.tokens) lines.push(`    ${"".padEnd(10)} tokens ${fmt(r.tokens)}`);
  }
  if (s.tokens !== undefined) lines.push(`  tokens total ${s.tokens}`);
  return lines.join("\n") + "\n";
}

/** `iit data get|convert|stats`; `countTokens` lets the caller add token counts to stats (e.g. a model's tokenizer). */
export function createDataCommand(opts: { countTokens?: CountTokens } = {}): Command {
  return new Command("data")
    .description(
      "prepare data: download the paper's datasets, convert public datasets to messages JSONL, drop instructions, stats",
    )
    .addCommand(getCommand())
    .addCommand(convertCommand())
    .addCommand(statsCommand(opts.countTokens));
}

export const dataCommand = createDataCommand();
