import { Command } from "commander";
import { join } from "node:path";
import { readFileSync, existsSync } from "node:fs";
import { InvalidOptionError } from "../../errors.js";
import { analyzeLengths } from "../../eval/analyses/lengths.js";
import { rankResponses, type RankingResult } from "../../eval/analyses/ranking.js";
import { analyzeSimilarity } from "../../eval/analyses/similarity.js";
import type { ExperimentResults } from "../../experiment/runExperiment.js";
import { loadModel } from "../../model/Model.js";
import { parseLoraArg, type LoraSpec } from "../../model/options.js";
import { loadRules } from "../../rules/loadRules.js";
import { progressBar } from "../progress.js";
import { collect, intOption, interruptSignal, printJson } from "../util.js";
import { THREADS_HELP } from "../modelOptions.js";

const pct = (x: number | null) => (x === null || !Number.isFinite(x) ? "–" : `${(100 * x).toFixed(1)}%`);

const rankingCommand = new Command("ranking")
  .description(
    "paper §4.2: does the model rank each instruction's true response above k random ones (length-normalised likelihood)?",
  )
  .requiredOption("--data <file>", "messages JSONL of instruction/response pairs (the paper: Stanford Alpaca)")
  .option("-m, --model <path>", "a model to test (repeatable: e.g. base and tuned)", collect(String), [])
  .option(
    "--lora <path[:scale]>",
    "also test the first --model with this adapter (repeatable; each on its own)",
    collect(parseLoraArg),
    [],
  )
  .option("-k <n>", "random responses per instruction", intOption("-k"), 5)
  .option("--max-examples <n>", "only the first N examples", intOption("--max-examples"), 1000)
  .option("--max-seq-length <n>", "longest scored sequence in tokens", intOption("--max-seq-length"), 1024)
  .option("--seed <n>", "seed of the random responses", intOption("--seed"), 0)
  .option("--rules <preset|file>", "rank under the rule-adapted model (e.g. hewitt2024)")
  .option("-t, --threads <n>", THREADS_HELP, intOption("--threads"))
  .option("--json", "print one JSON object on stdout")
  .action(
    async (opts: {
      data: string;
      model: string[];
      lora: LoraSpec[];
      k: number;
      maxExamples: number;
      maxSeqLength: number;
      seed: number;
      rules?: string;
      threads?: number;
      json?: boolean;
    }) => {
      const models = opts.model;
      const rules = opts.rules ? loadRules(opts.rules) : undefined;
      const loras = opts.lora;
      if (!models.length) throw new InvalidOptionError("INVALID_OPTION", "give at least one --model");
      const runs: { model: string; loras: LoraSpec[] }[] = [
        ...models.map((m) => ({ model: m, loras: [] })),
        ...loras.map((l) => ({ model: models[0], loras: [l] })),
      ];
      const signal = interruptSignal();
      const results: RankingResult[] = [];
      for (const r of runs) {
        await using model = await loadModel({ model: r.model, loras: r.loras, threads: opts.threads });
        let bar: ReturnType<typeof progressBar> | undefined;
        results.push(
          await rankResponses(model, {
            data: opts.data,
            k: opts.k,
            maxExamples: opts.maxExamples,
            maxSeqLength: opts.maxSeqLength,
            seed: opts.seed,
            ...(rules ? { rules } : {}),
            signal,
            onProgress: (done, total) => {
              bar ??= progressBar(total, `examples (${model.name})`, !!opts.json);
              bar.tick(1);
              if (done === total) bar.stop();
            },
          }),
        );
        bar?.stop();
      }
      if (opts.json) return printJson({ data: opts.data, models: results });
      process.stdout.write(
        ["| Model | Examples | Comparisons | True response ranked higher |", "| --- | --- | --- | --- |"]
          .concat(results.map((r) => `| ${r.model} | ${r.examples} | ${r.comparisons} | ${pct(r.fraction)} |`))
          .join("\n") + "\n",
      );
    },
  );

/** `name=file` or a file (named after itself). */
function parseArmFile(v: string): { arm: string; file: string } {
  const i = v.indexOf("=");
  if (i > 0) return { arm: v.slice(0, i), file: v.slice(i + 1) };
  return { arm: v.replace(/^.*[/\\]/, "").replace(/(\.model_outputs)?\.json$/, ""), file: v };
}

const lengthsCommand = new Command("lengths")
  .description("response lengths (chars, tokens), EOS rate and stop reasons per arm")
  .option(
    "--outputs <[arm=]file>",
    "model_outputs.json of one arm (repeatable; files with the same arm name are pooled)",
    collect(parseArmFile),
    [],
  )
  .option("--experiment <dir>", "every arm of an experiment's output directory (its results.json)")
  .option("-m, --model <gguf>", "count tokens of rows without n_tokens with this tokenizer (vocabulary only is loaded)")
  .option("--json", "print one JSON object on stdout")
  .action(
    async (opts: { outputs: { arm: string; file: string }[]; experiment?: string; model?: string; json?: boolean }) => {
      const arms = new Map<string, string[]>();
      for (const { arm, file } of opts.outputs) arms.set(arm, [...(arms.get(arm) ?? []), file]);
      const experiment = opts.experiment;
      if (experiment) {
        const p = join(experiment, "results.json");
        if (!existsSync(p))
          throw new InvalidOptionError("INVALID_OPTION", `${p} not found: run or collect the experiment first`);
        const r = JSON.parse(readFileSync(p, "utf8")) as ExperimentResults;
        for (const [arm, gens] of Object.entries(r.generations))
          arms.set(
            arm,
            gens.map((g) => join(experiment, g.path)),
          );
      }
      if (!arms.size)
        throw new InvalidOptionError("INVALID_OPTION", "give --outputs [arm=]file (repeatable) or --experiment DIR");
      await using vocab = opts.model ? await loadModel({ model: opts.model, vocabOnly: true }) : undefined;
      const res = await analyzeLengths(
        [...arms].map(([arm, files]) => ({ arm, files })),
        vocab ? { countTokens: (text) => vocab.tokenize(text).length } : {},
      );
      if (opts.json) return printJson(res);
      const f = (x: number | null) => (x === null ? "–" : x.toFixed(0));
      process.stdout.write(
        [
          "| Arm | Responses | Chars (mean / median) | Tokens (mean / max) | EOS rate | Stop reasons |",
          "| --- | --- | --- | --- | --- | --- |",
        ]
          .concat(
            res.arms.map(
              (a) =>
                `| ${a.arm} | ${a.responses} | ${f(a.chars.mean)} / ${f(a.chars.median)} | ${f(a.tokens.mean)} / ${f(a.tokens.max)} | ${pct(a.eos_rate)} | ${Object.entries(
                  a.stop_reasons,
                )
                  .map(([k, v]) => `${k} ${v}`)
                  .join(", ")} |`,
            ),
          )
          .join("\n") + "\n",
      );
    },
  );

const similarityCommand = new Command("similarity")
  .description(
    "paper Fig. 5: similarity of each instruction to the task's instructions vs of its response to task minus general responses",
  )
  .requiredOption("--embedder <gguf>", "any GGUF model, used as a mean-pooled embedder")
  .requiredOption("--outputs <file>", "the task-tuned model's model_outputs.json")
  .requiredOption("--task-data <file>", "the task's training data (messages JSONL)")
  .requiredOption("--general-data <file>", "general data to contrast with (messages JSONL; the paper: LIMA)")
  .option("--max-examples <n>", "only the first N examples of each data file", intOption("--max-examples"), 1000)
  .option("--max-outputs <n>", "only the first N outputs", intOption("--max-outputs"))
  .option("--context-size <n>", "tokens per text (longer texts are truncated)", intOption("--context-size"))
  .option("-t, --threads <n>", THREADS_HELP, intOption("--threads"))
  .option("-o, --output <file>", "also write the JSON result here (for iit report --similarity)")
  .option("--json", "print one JSON object on stdout")
  .action(
    async (opts: {
      embedder: string;
      outputs: string;
      taskData: string;
      generalData: string;
      maxExamples: number;
      maxOutputs?: number;
      contextSize?: number;
      threads?: number;
      output?: string;
      json?: boolean;
    }) => {
      await using model = await loadModel({ model: opts.embedder, threads: opts.threads });
      const r = await analyzeSimilarity(model, {
        outputs: opts.outputs,
        taskData: opts.taskData,
        generalData: opts.generalData,
        maxExamples: opts.maxExamples,
        maxOutputs: opts.maxOutputs,
        contextSize: opts.contextSize,
        signal: interruptSignal(),
      });
      if (opts.output) {
        const { writeJsonAtomic } = await import("../../util/atomicWrite.js");
        await writeJsonAtomic(opts.output, r);
      }
      if (opts.json) return printJson(r);
      const m = (xs: number[]) => (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3);
      process.stdout.write(
        `${r.points.length} responses, embedder ${r.embedder}\n` +
          `  mean x (instruction ~ task instructions)          ${m(r.points.map((p) => p.x))}\n` +
          `  mean y (response ~ task − general responses)     ${m(r.points.map((p) => p.y))}\n` +
          `  Pearson r(x, y)                                  ${r.pearson_r === null ? "–" : r.pearson_r.toFixed(3)}\n`,
      );
    },
  );

export const analyzeCommand = new Command("analyze")
  .description("the paper's analyses: response ranking (§4.2), lengths and EOS, similarity to the task (Fig. 5)")
  .addCommand(rankingCommand.exitOverride())
  .addCommand(lengthsCommand.exitOverride())
  .addCommand(similarityCommand.exitOverride());
