import { Command, Option } from "commander";
import { benchStatus, printBench } from "../benchOutput.js";
import { benchJudge } from "../../bench/benchJudge.js";
import { InvalidOptionError } from "../../errors.js";
import { openJudge } from "../../eval/judge/index.js";
import { runJudge, type JudgeSummary } from "../../eval/judge/runJudge.js";
import { defaultTemplate, loadTemplate, parseLabels } from "../../eval/judge/template.js";
import { TEMPLATE_NAMES, type TemplateName } from "../../model/generationTypes.js";
import { THREADS_HELP } from "../modelOptions.js";
import { progressBar } from "../progress.js";
import { floatOption, intOption, interruptSignal, printJson } from "../util.js";
import { formatSummary } from "./winrate.js";

interface JudgeCliOptions {
  outputs: string;
  reference: string;
  judge: string;
  output: string;
  judgeModel?: string;
  judgeKeyEnv: string;
  judgeTemplate?: string;
  labels: string;
  seed: number;
  bothOrders?: boolean;
  cache?: string;
  limit?: number;
  annotator?: string;
  concurrency: number;
  retries: number;
  retryDelayMs: number;
  timeoutMs: number;
  topLogprobs: number;
  judgeMaxTokens: number;
  judgeTemperature: number;
  judgeFormat?: TemplateName;
  judgeContextSize?: number;
  threads?: number;
  gpuLayers: number;
  json?: boolean;
}

export const judgeCommand = new Command("judge")
  .description(
    "judge model outputs against reference outputs (AlpacaEval pairwise, weighted by label probabilities) into annotations",
  )
  .requiredOption("--outputs <file>", "the model's model_outputs.json (output_2)")
  .requiredOption("--reference <file>", "the reference model_outputs.json (output_1)")
  .requiredOption(
    "--judge <spec>",
    "a local GGUF judge (path or hf:…), or openai:BASE_URL for an OpenAI-compatible server",
  )
  .requiredOption("-o, --output <file>", "annotations.json to write (AlpacaEval format)")
  .option("--judge-model <name>", "HTTP judges: the model name sent in each request")
  .option("--judge-key-env <var>", "HTTP judges: environment variable holding the API key", "OPENAI_API_KEY")
  .option(
    "--judge-template <file>",
    "the prompt file ({instruction}, {output_1}, {output_2}; ChatML system/user blocks), e.g. AlpacaEval's alpaca_eval_clf_gpt4_turbo.txt",
  )
  .option("--labels <a,b>", "answer labels naming the first and second output shown", "m,M")
  .option("--seed <n>", "seed of the per-pair random presentation order", intOption("--seed"), 42)
  .option("--both-orders", "judge both presentation orders and average them (no position bias, twice the calls)")
  .option("--cache <file>", "judgement cache, JSONL (default: <output>.cache.jsonl)")
  .option("--limit <n>", "only the first n pairs", intOption("--limit"))
  .option("--annotator <name>", "the annotator column (default: iit_weighted_<judge>)")
  .option("--concurrency <n>", "HTTP judges: requests in flight", intOption("--concurrency"), 4)
  .option("--retries <n>", "HTTP judges: retries per request after 429/5xx/network errors", intOption("--retries"), 5)
  .option(
    "--retry-delay-ms <ms>",
    "HTTP judges: first backoff, doubled per retry (Retry-After wins)",
    intOption("--retry-delay-ms"),
    1000,
  )
  .option("--timeout-ms <ms>", "HTTP judges: milliseconds per request", intOption("--timeout-ms"), 120_000)
  .option(
    "--top-logprobs <n>",
    "HTTP judges: alternatives asked per position (AlpacaEval: 5; 0 = parse text only)",
    intOption("--top-logprobs"),
    5,
  )
  .option("--judge-max-tokens <n>", "HTTP judges: max_tokens of each judge request", intOption("--judge-max-tokens"), 1)
  .option(
    "--judge-temperature <x>",
    "HTTP judges: temperature of each request (AlpacaEval's weighted judge: 1; logprobs do not depend on it)",
    floatOption("--judge-temperature"),
    0,
  )
  .addOption(
    new Option(
      "--judge-format <name>",
      "local judges: prompt format (default: the GGUF's chat template, else tulu)",
    ).choices(TEMPLATE_NAMES),
  )
  .option(
    "--judge-context-size <n>",
    "local judges: longest prompt in tokens (longer pairs are recorded as missing)",
    intOption("--judge-context-size"),
  )
  .option("-t, --threads <n>", `local judges: ${THREADS_HELP}`, intOption("--threads"))
  .option("--gpu-layers <n>", "local judges: layers offloaded on GPU builds (-1 = all)", intOption("--gpu-layers"), -1)
  .option("--json", "print one JSON object on stdout")
  .action(async (opts: JudgeCliOptions) => {
    atLeast(opts, {
      concurrency: 1,
      retries: 0,
      retryDelayMs: 0,
      timeoutMs: 1,
      topLogprobs: 0,
      judgeMaxTokens: 1,
      limit: 0,
      judgeContextSize: 16,
    });
    const labels = parseLabels(opts.labels);
    const template = opts.judgeTemplate ? await loadTemplate(opts.judgeTemplate, labels) : defaultTemplate(labels);
    const judge = await openJudge(opts.judge, {
      judgeModel: opts.judgeModel,
      keyEnv: opts.judgeKeyEnv,
      http: {
        concurrency: opts.concurrency,
        retries: opts.retries,
        retryDelayMs: opts.retryDelayMs,
        timeoutMs: opts.timeoutMs,
        topLogprobs: opts.topLogprobs,
        maxTokens: opts.judgeMaxTokens,
        temperature: opts.judgeTemperature,
      },
      load: { threads: opts.threads, gpuLayers: opts.gpuLayers },
      local: { format: opts.judgeFormat, contextSize: opts.judgeContextSize },
    });
    const quiet = !!opts.json;
    let bar: ReturnType<typeof progressBar> | undefined;
    try {
      const { summary } = await runJudge({
        judge,
        template,
        outputs: opts.outputs,
        reference: opts.reference,
        output: opts.output,
        cache: opts.cache,
        seed: opts.seed,
        bothOrders: !!opts.bothOrders,
        limit: opts.limit,
        annotator: opts.annotator,
        signal: interruptSignal(),
        onProgress: (done, total) => {
          if (bar) return bar.tick(1);
          bar = progressBar(total, "pairs", quiet);
          bar.tick(done);
        },
        onWarning: (m) => {
          if (!quiet) process.stderr.write(`\nwarning: ${m}\n`);
        },
      });
      bar?.stop();
      bar = undefined;
      if (opts.json) printJson(summary);
      else process.stderr.write(describe(summary));
      if (summary.aborted) process.exitCode = 130;
    } finally {
      bar?.stop();
      await judge.dispose?.();
    }
  });

/** Checks numeric options before anything is loaded: `--name` must be >= min. */
function atLeast(o: object, mins: Record<string, number>): void {
  for (const [k, min] of Object.entries(mins)) {
    const v: unknown = Reflect.get(o, k);
    if (typeof v === "number" && v < min) {
      const flag = "--" + k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
      throw new InvalidOptionError("INVALID_OPTION", `${flag} must be at least ${min}, got ${v}`);
    }
  }
}

/** The end-of-run report: what was judged, what is missing, then the win-rate table. */
export function describe(s: JudgeSummary): string {
  const u = s.unmatched;
  const lines = [
    `${s.aborted ? "interrupted" : "done"}: ${s.pairs} pairs, ${s.judge_calls} judge calls, ${s.cached} cached, ` +
      `${s.identical} identical (1.5), ${s.missing} missing, in ${s.seconds.toFixed(1)} s`,
  ];
  if (u.model_only.length || u.reference_only.length || u.duplicates.length) {
    lines.push(
      `unmatched instructions: ${u.model_only.length} only in --outputs, ${u.reference_only.length} only in --reference, ` +
        `${u.duplicates.length} repeated (use --json to list them)`,
    );
  }
  if (s.judge_stats.retries)
    lines.push(`HTTP retries: ${s.judge_stats.retries} (${s.judge_stats.rate_limited ?? 0} rate-limited)`);
  return lines.join("\n") + "\n" + formatSummary(s.metrics, s.output ?? "annotations");
}

export const benchJudgeCommand = new Command("judge")
  .description(
    "judgements/s with a local judge and through `iit serve` over HTTP (concurrency 1 and 4); time of a fully cached re-run",
  )
  .requiredOption("-m, --model <path>", "the judge GGUF")
  .option("--outputs <file>", "model outputs to judge (default: synthetic pairs)")
  .option("--reference <file>", "reference outputs (with --outputs)")
  .option("--pairs <n>", "pairs judged per measurement", intOption("--pairs"), 16)
  .option("-t, --threads <n>", THREADS_HELP, intOption("--threads"))
  .option("--json", "print one JSON object on stdout")
  .action(
    async (opts: {
      model: string;
      outputs?: string;
      reference?: string;
      pairs: number;
      threads?: number;
      json?: boolean;
    }) => {
      const r = await benchJudge({
        model: opts.model,
        outputs: opts.outputs,
        reference: opts.reference,
        pairs: opts.pairs,
        threads: opts.threads,
        onStatus: benchStatus,
      });
      printBench(
        r,
        opts.json,
        () =>
          `${r.model}, ${r.pairs} pairs (${r.threads} threads):\n` +
          `  local judge        ${r.local_jps.toFixed(2)} judgements/s\n` +
          `  HTTP, concurrency 1 ${r.http_jps["1"].toFixed(2)} judgements/s\n` +
          `  HTTP, concurrency 4 ${r.http_jps["4"].toFixed(2)} judgements/s\n` +
          `  cached re-run      ${(r.cached_rerun_seconds * 1000).toFixed(1)} ms (${r.cached_rerun_calls} judge calls)\n`,
      );
    },
  );
