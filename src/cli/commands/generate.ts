import { Command, Option } from "commander";
import { InvalidOptionError } from "../../errors.js";
import { GENERATION_DEFAULTS as D } from "../../model/generationDefaults.js";
import { TEMPLATE_NAMES } from "../../model/generationTypes.js";
import { generateFile } from "../../generation/generateFile.js";
import { parseShard } from "../../generation/inputs.js";
import type { GenerateOptions, TemplateName } from "../../model/generationTypes.js";
import { loadModel, type Model } from "../../model/Model.js";
import { type ExpertArg, parseExpertArg } from "../../model/options.js";
import { placementLine } from "../../model/placement.js";
import { loadRules } from "../../rules/loadRules.js";
import { listUnresolved } from "../../model/resolveRules.js";
import { RULE_NAMES, type RuleName } from "../../rules/spec.js";
import { addModelOptions, modelOptionsFrom, type ModelCliOptions } from "../modelOptions.js";
import { loadProgressBar, progressBar } from "../progress.js";
import { handlesInterrupts } from "../earlySignals.js";
import { collect, floatOption, intOption, interruptSignal, printJson } from "../util.js";
import { UINT32_MAX } from "../../util/numbers.js";

/** What addGenerationOptions adds, as commander parses it. */
export interface GenerationCliOptions {
  template: TemplateName;
  maxTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  seed: number;
  stop: string[];
  contextSize?: number;
  parallel: number;
  expert: ExpertArg[];
  rules?: string;
  disableRule?: RuleName[];
}

export function samplingFrom(opts: GenerationCliOptions): GenerateOptions {
  const disable = opts.disableRule ?? [];
  if (disable.length && !opts.rules) throw new InvalidOptionError("INVALID_OPTION", "--disable-rule needs --rules");
  return {
    rules: opts.rules ? loadRules(opts.rules, disable) : undefined,
    template: opts.template,
    maxTokens: opts.maxTokens,
    temperature: opts.temperature,
    topK: opts.topK,
    topP: opts.topP,
    minP: opts.minP,
    seed: opts.seed,
    stop: opts.stop,
    parallel: opts.parallel,
    contextSize: opts.contextSize,
  };
}

/** Options of generation shared by generate, serve and experiments. */
export function addGenerationOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--template <name>", "prompt format").choices(TEMPLATE_NAMES).default(D.template))
    .option("-n, --max-tokens <n>", "token budget per prompt", intOption("--max-tokens"), D.maxTokens)
    .option("--temperature <t>", "0 = greedy", floatOption("--temperature"), D.temperature)
    .option("--top-k <k>", "0 = off", intOption("--top-k", { min: 0 }), D.topK)
    .option("--top-p <p>", "1 = off", floatOption("--top-p"), D.topP)
    .option("--min-p <p>", "0 = off", floatOption("--min-p"), D.minP)
    .option(
      "--seed <n>",
      "sampling seed (each prompt restarts from it)",
      intOption("--seed", { min: 0, max: UINT32_MAX }),
      D.seed,
    )
    .option("--stop <text>", "stop string (repeatable)", collect(String), [])
    .option(
      "--context-size <n>",
      `context size per sequence (default: min(training context, ${D.maxDefaultContext}))`,
      intOption("--context-size"),
    )
    .option("--parallel <n>", "prompts decoded together as parallel sequences", intOption("--parallel"), D.parallel)
    .option(
      "--expert <gguf[:weight]>",
      "another model multiplied in as an expert (repeatable; weight defaults to 1)",
      collect(parseExpertArg),
      [],
    )
    .option(
      "--rules <preset|file>",
      "rule-based adapter: hewitt2024 (the paper's), an ablation preset, or a JSON rule file",
    )
    .addOption(
      new Option("--disable-rule <rule>", "switch one rule of --rules off (repeatable; the paper's ablations)")
        .choices(RULE_NAMES)
        .argParser(collect((v) => v as RuleName)),
    );
}

/** Loads --expert models (same threads and polling as the base); disposed together. */
export async function loadExperts(opts: Pick<GenerationCliOptions, "expert"> & { threads?: number; poll?: number }) {
  const list: { model: Model; weight: number }[] = [];
  const dispose = async () => {
    for (const e of list) await e.model.dispose();
  };
  try {
    for (const e of opts.expert ?? []) {
      list.push({
        model: await loadModel({ model: e.path, threads: opts.threads, poll: opts.poll }),
        weight: e.weight,
      });
    }
  } catch (err) {
    await dispose();
    throw err;
  }
  return { list, [Symbol.asyncDispose]: dispose };
}

interface GenerateCliOptions extends ModelCliOptions, GenerationCliOptions {
  prompt?: string;
  input?: string;
  output?: string;
  shard?: string;
  generator?: string;
  force?: boolean;
  json?: boolean;
}

export const generateCommand = addGenerationOptions(
  addModelOptions(
    handlesInterrupts(new Command("generate"))
      .description(
        "generate for one prompt (--prompt) or a file of prompts (--input) into AlpacaEval model_outputs.json",
      )
      .option("-p, --prompt <text>", "one instruction; the output streams to stdout")
      .option("-i, --input <file>", "prompts: JSONL of {instruction}, messages JSONL, or an AlpacaEval JSON array")
      .option("-o, --output <file>", "model_outputs.json to write (resumes: existing instructions are skipped)")
      .option("--shard <k/n>", "only the k-th of n contiguous parts of the input (join with `iit merge`)")
      .option("--generator <name>", "the generator name written into outputs (default: model file name)")
      .option("--force", "resume even if rows in --output were made with other settings (they are kept as they are)")
      .option("--json", "print one JSON object on stdout"),
  ),
).action(async (opts: GenerateCliOptions) => {
  if (!opts.prompt === !opts.input)
    throw new InvalidOptionError("INVALID_OPTION", "give exactly one of --prompt or --input");
  if (opts.input && !opts.output)
    throw new InvalidOptionError("INVALID_OPTION", "--input needs --output FILE for the model outputs");
  const shard = opts.shard ? parseShard(opts.shard) : undefined;
  const sampling = samplingFrom(opts);
  const signal = interruptSignal(); // before loading: a signal during the load also exits 130
  await using model = await loadModel({
    ...modelOptionsFrom(opts),
    signal,
    onLoadProgress: loadProgressBar(!!opts.json),
  });
  if (!opts.json) process.stderr.write(`iit generate: ${placementLine(model.placement)}\n`);
  await using experts = await loadExperts(opts);
  const unresolved = sampling.rules ? model.rulesFor(sampling.rules).unresolved : [];
  if (unresolved.length) {
    process.stderr.write(
      `warning: ${unresolved.length} token rule(s) of --rules ${opts.rules} are not one token of this vocabulary and do nothing: ${listUnresolved(unresolved)}\n`,
    );
  }
  sampling.experts = experts.list;
  const generator = opts.generator ?? model.name;

  if (opts.prompt) {
    let shown = "";
    const tokens: number[] = [];
    const stream = !opts.json && process.stdout.isTTY;
    const [r] = await model.generate(opts.prompt, {
      ...sampling,
      signal,
      onToken: stream
        ? (_i, t) => {
            tokens.push(t);
            const text = model.detokenize(tokens);
            if (!text.endsWith("\uFFFD")) {
              process.stdout.write(text.slice(shown.length));
              shown = text;
            }
          }
        : undefined,
    });
    if (opts.json) {
      printJson({
        instruction: r.instruction,
        output: r.output,
        generator,
        n_tokens: r.tokens.length,
        stop_reason: r.stopReason,
        placement: model.placement,
      });
    } else if (stream) {
      process.stdout.write(r.output.slice(Math.min(shown.length, r.output.length)) + "\n");
    } else {
      process.stdout.write(r.output + "\n");
    }
    return;
  }

  let bar: ReturnType<typeof progressBar> | undefined;
  const summary = await generateFile(model, {
    ...sampling,
    input: opts.input!,
    output: opts.output!,
    shard,
    generator,
    force: !!opts.force,
    config: {
      model: model.path,
      loras: model.loras,
      ...sampling,
      rules: sampling.rules ?? null,
      experts: experts.list.map((e) => ({ model: e.model.path, weight: e.weight })),
    },
    signal,
    onProgress: (done, total) => {
      if (bar) return bar.tick(1);
      bar = progressBar(total, "prompts", !!opts.json);
      bar.tick(done);
    },
  });
  bar?.stop();
  if (opts.json) printJson({ ...summary, placement: model.placement, threads: model.threadStats() });
  else {
    process.stderr.write(
      `${summary.aborted ? "interrupted" : "done"}: ${summary.generated} generated, ${summary.skipped} already in ${summary.output}, ` +
        (summary.kept ? `${summary.kept} rows of other instructions kept, ` : "") +
        `${summary.tokens} tokens in ${summary.seconds.toFixed(1)} s (${(summary.tokens / summary.seconds).toFixed(1)} tok/s)\n`,
    );
  }
  if (summary.aborted) process.exitCode = 130;
});
