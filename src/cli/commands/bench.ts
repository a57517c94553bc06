import { Command } from "commander";
import { benchGenerate } from "../../bench/benchGenerate.js";
import { benchRules } from "../../bench/benchRules.js";
import { benchScore } from "../../bench/benchScore.js";
import { benchThreads, threadsMarkdown } from "../../bench/benchThreads.js";
import { benchTrain } from "../../bench/benchTrain.js";
import { formatSpread } from "../../bench/rounds.js";
import { benchJudgeCommand } from "./judge.js";
import { experimentProgress } from "./experiment.js";
import { benchLab } from "../../bench/benchLab.js";
import { parseWorlds } from "../../bench/labWorlds.js";
import { writeFileSync } from "node:fs";
import { benchPretrain } from "../../bench/benchPretrain.js";
import { collect, interruptSignal, intOption } from "../util.js";
import { benchStatus, printBench } from "../benchOutput.js";
import { LOAD_HELP, THREADS_HELP } from "../modelOptions.js";
import { benchServeCommand } from "./benchServe.js";

const generate = new Command("generate")
  .description(
    "greedy tokens/s vs node-llama-cpp on the same model, prompt and threads; aggregate tokens/s at several --parallel",
  )
  .requiredOption("-m, --model <path>", "GGUF model")
  .option("-t, --threads <n>", THREADS_HELP, intOption("--threads"))
  .option("-p, --prompt <text>", "raw prompt", "Once upon a time")
  .option("-n, --max-tokens <n>", "tokens per run", intOption("--max-tokens"), 128)
  .option("--repeats <n>", "timed runs per engine (median reported)", intOption("--repeats"), 3)
  .option("--parallel <n>", "parallel levels to measure (repeatable)", collect(intOption("--parallel")))
  .option("--batched-bench-bin <path>", "a llama-batched-bench binary (default: built once from the pinned source)")
  .option("--load <n>", LOAD_HELP, intOption("--load"), 0)
  .option("--json", "print one JSON object on stdout")
  .action(
    async (opts: {
      model: string;
      threads?: number;
      prompt: string;
      maxTokens: number;
      repeats: number;
      parallel?: number[];
      batchedBenchBin?: string;
      load: number;
      json?: boolean;
    }) => {
      const r = await benchGenerate({
        model: opts.model,
        threads: opts.threads,
        prompt: opts.prompt,
        maxTokens: opts.maxTokens,
        repeats: opts.repeats,
        parallel: opts.parallel ?? [1, 4, 8],
        batchedBenchBin: opts.batchedBenchBin,
        load: opts.load,
        onStatus: benchStatus,
      });
      printBench(
        r,
        opts.json,
        () =>
          `${r.model} (${r.threads} threads, ${r.load} busy processes beside, ${r.n_tokens} tokens): ours ${r.ours_tps.toFixed(1)} tok/s, ` +
          `node-llama-cpp ${r.peer_tps.toFixed(1)} tok/s, ratio ${r.ratio.toFixed(3)}\n` +
          Object.entries(r.parallel)
            .map(([p, v]) => {
              const q = r.parallel_ratio[p];
              const s = r.parallel_spread[p];
              return `  parallel ${p}: ${v.toFixed(1)} tok/s aggregate (min / median / max ${s.min.toFixed(1)} / ${s.median.toFixed(1)} / ${s.max.toFixed(1)}), vs llama-batched-bench ${formatSpread(q)}\n`;
            })
            .join(""),
      );
    },
  );

const lab = new Command("lab")
  .description(
    "the lab's targets on several world seeds: each finding's verdict per world and k of N reproduced, the rule arms per world, pretraining and lab wall time (minutes per world; resumable)",
  )
  .option("--worlds <list>", "world seeds: a list or ranges, e.g. 1-5, 1,3,7 (default 1-3)")
  .option("--world <n>", "a world seed (repeatable; added to --worlds)", collect(intOption("--world")))
  .option("-t, --threads <n>", THREADS_HELP, intOption("--threads"))
  .option("--pretrain", "pretrain every world's base again (timed), even when one exists")
  .option("--markdown <file>", "also write the tables as markdown (scripts/lab-tables.mjs --worlds copies them)")
  .option("--json", "print one JSON object on stdout")
  .action(
    async (opts: {
      worlds?: string;
      world?: number[];
      threads?: number;
      pretrain?: boolean;
      markdown?: string;
      json?: boolean;
    }) => {
      const named = [...(opts.worlds === undefined ? [] : parseWorlds(opts.worlds))];
      for (const w of opts.world ?? []) if (!named.includes(w)) named.push(...parseWorlds(String(w)));
      const r = await benchLab({
        worlds: named.length ? named : [1, 2, 3],
        threads: opts.threads,
        pretrain: !!opts.pretrain,
        signal: interruptSignal(),
        onStatus: benchStatus,
        onEvent: experimentProgress(!!opts.json),
      });
      if (opts.markdown) writeFileSync(opts.markdown, r.markdown);
      printBench(r, opts.json, () => r.markdown);
      if (r.aborted) process.exitCode = 130;
    },
  );

const rules = new Command("rules")
  .description(
    "tokens/s with the hewitt2024 rule adapter vs none, its cost per token, and node-llama-cpp's closest emulation",
  )
  .requiredOption("-m, --model <path>", "GGUF model")
  .option("-t, --threads <n>", THREADS_HELP, intOption("--threads"))
  .option("-n, --max-tokens <n>", "tokens per prompt", intOption("--max-tokens"), 128)
  .option("--repeats <n>", "timed runs (median reported)", intOption("--repeats"), 3)
  .option("--json", "print one JSON object on stdout")
  .action(async (opts: { model: string; threads?: number; maxTokens: number; repeats: number; json?: boolean }) => {
    const r = await benchRules({
      model: opts.model,
      threads: opts.threads,
      maxTokens: opts.maxTokens,
      repeats: opts.repeats,
      onStatus: benchStatus,
    });
    printBench(
      r,
      opts.json,
      () =>
        `${r.model}: plain ${r.plain_tps.toFixed(1)} tok/s, hewitt2024 ${r.rules_tps.toFixed(1)} tok/s (ratio ${r.ratio.toFixed(3)}, ` +
        `${r.adapter_us_per_token.toFixed(1)} µs/token), node-llama-cpp emulation ${r.peer_tps.toFixed(1)} tok/s\n`,
    );
  });

const trainBench = new Command("train")
  .description(
    "training tokens/s and peak memory vs llama.cpp's llama-finetune (same pinned commit, same model, text, window, threads)",
  )
  .requiredOption("-m, --model <path>", "F32 GGUF model")
  .requiredOption("--data <jsonl>", "messages JSONL (its assistant turns are the training text)")
  .option("--n-ctx <n>", "window length", intOption("--n-ctx"), 256)
  .option("--examples <n>", "examples of --data used", intOption("--examples"), 64)
  .option("--finetune-bin <path>", "a llama-finetune binary (default: built once from the pinned source)")
  .option(
    "--rounds <n>",
    "alternated rounds of llama-finetune and ours (min/median/max reported)",
    intOption("--rounds"),
    3,
  )
  .option("-t, --threads <n>", THREADS_HELP, intOption("--threads"))
  .option("--load <n>", LOAD_HELP, intOption("--load"), 0)
  .option("--json", "print one JSON object on stdout")
  .action(
    async (opts: {
      model: string;
      data: string;
      nCtx: number;
      examples: number;
      finetuneBin?: string;
      rounds: number;
      threads?: number;
      load: number;
      json?: boolean;
    }) => {
      const r = await benchTrain({
        model: opts.model,
        data: opts.data,
        nCtx: opts.nCtx,
        examples: opts.examples,
        finetuneBin: opts.finetuneBin,
        rounds: opts.rounds,
        threads: opts.threads,
        load: opts.load,
        onStatus: benchStatus,
      });
      printBench(
        r,
        opts.json,
        () =>
          `${r.model} (${r.threads} threads, ${r.load} busy processes beside): ours ${r.ours.tokens_per_second.toFixed(0)} tok/s (${r.ours.peak_rss_mb.toFixed(0)} MB), llama-finetune ${r.llama_finetune.tokens_per_second.toFixed(0)} tok/s ` +
          `(${r.llama_finetune.peak_rss_mb.toFixed(0)} MB): ratio ${r.ratio.toFixed(3)}, memory ${r.memory_ratio.toFixed(3)}, masking cost ${(100 * r.masking_cost).toFixed(1)}%\n` +
          `  over ${r.rounds} rounds, min / median / max: ours ${r.ours_tps.min.toFixed(0)} / ${r.ours_tps.median.toFixed(0)} / ${r.ours_tps.max.toFixed(0)} tok/s, speed ${formatSpread(r.ratios)} (per CPU second ${formatSpread(r.cpu_time_ratios)}), peak RSS ${formatSpread(r.memory_ratios)}, ` +
          `peak RSS beyond Node's own ${r.node_baseline_mb.toFixed(0)} MB ${formatSpread(r.memory_beyond_node_ratios)}\n`,
      );
    },
  );

const scoreBench = new Command("score")
  .description(
    "scoring an N-token sequence vs llama.cpp's llama-bench prompt processing of N tokens and llama-perplexity (same pinned commit, model, threads)",
  )
  .requiredOption("-m, --model <path>", "GGUF model")
  .option("-n, --n-tokens <n>", "tokens scored", intOption("--n-tokens"), 967)
  .option("--rounds <n>", "alternated rounds (min/median/max reported)", intOption("--rounds"), 3)
  .option("--llama-bench-bin <path>", "a llama-bench binary (default: built once from the pinned source)")
  .option("--perplexity-bin <path>", "a llama-perplexity binary (default: built once from the pinned source)")
  .option("-t, --threads <n>", THREADS_HELP, intOption("--threads"))
  .option("--json", "print one JSON object on stdout")
  .action(
    async (opts: {
      model: string;
      nTokens: number;
      rounds: number;
      llamaBenchBin?: string;
      perplexityBin?: string;
      threads?: number;
      json?: boolean;
    }) => {
      const r = await benchScore({
        model: opts.model,
        nTokens: opts.nTokens,
        rounds: opts.rounds,
        llamaBenchBin: opts.llamaBenchBin,
        perplexityBin: opts.perplexityBin,
        threads: opts.threads,
        onStatus: benchStatus,
      });
      printBench(
        r,
        opts.json,
        () =>
          `${r.model} (${r.threads} threads, ${r.n_tokens} tokens, ${r.rounds.length} rounds) vs llama-bench pp${r.n_tokens}, min / median / max:\n` +
          `  score every position: ${formatSpread(r.score_ratio)}\n  prefill (last row only): ${formatSpread(r.prefill_ratio)}\n` +
          `vs llama-perplexity -c ${r.n_tokens} (output rows ${Math.floor(r.n_tokens / 2)}.. in both):\n  score the second half: ${formatSpread(r.half_ratio)}\n`,
      );
    },
  );

const threadsBench = new Command("threads")
  .description(
    "iit generate (the lab's evaluation prompts, 40 tokens, --parallel 16) and iit train with the default threads vs -t N, quiet and beside --load busy processes, in alternated rounds",
  )
  .requiredOption("-m, --model <path>", "GGUF model (F32 for the training runs), e.g. models/lab-base.gguf")
  .option(
    "-t, --threads <n>",
    "explicit thread counts measured beside the default (repeatable; default 1 and 2)",
    collect(intOption("--threads")),
  )
  .option("--load <n>", LOAD_HELP + " in the loaded runs", intOption("--load"), 1)
  .option("--rounds <n>", "alternated rounds (min / median / max reported)", intOption("--rounds"), 3)
  .option("--prompts <jsonl>", "prompts to generate for (default: the lab's evaluation prompts of world 1)")
  .option(
    "--data <jsonl>",
    "training data (default: world 1's instruction-tuning set; use text in the model's vocabulary)",
  )
  .option("--train-examples <n>", "training examples, one 256-token window each", intOption("--train-examples"), 32)
  .option("--markdown <file>", "also write the table as markdown")
  .option("--json", "print one JSON object on stdout")
  .action(
    async (opts: {
      model: string;
      threads?: number[];
      load: number;
      rounds: number;
      prompts?: string;
      data?: string;
      trainExamples: number;
      markdown?: string;
      json?: boolean;
    }) => {
      const r = await benchThreads({ ...opts, onStatus: benchStatus });
      if (opts.markdown) writeFileSync(opts.markdown, threadsMarkdown(r));
      printBench(
        r,
        opts.json,
        () =>
          `${r.model}, ${r.rounds} alternated rounds, seconds min / median / max:\n` +
          r.cases
            .map(
              (c) =>
                `  ${c.job.padEnd(8)} threads ${c.threads.padEnd(7)} busy ${c.load}: ${c.seconds.min.toFixed(2)} / ${c.seconds.median.toFixed(2)} / ${c.seconds.max.toFixed(2)}` +
                `  (on 1 / 2 / … threads: ${c.by_threads.join(" / ")})\n`,
            )
            .join("") +
          Object.entries(r.loaded_default_vs_quiet_1)
            .map(
              ([j, x]) => `  ${j}: default beside ${r.load} busy ÷ quiet 1 thread = ${x.toFixed(2)} (target ≤ 1.5)\n`,
            )
            .join(""),
      );
    },
  );

const pretrainBench = new Command("pretrain")
  .description(
    "the lab's pretraining rate (tokens/s, matrix GFLOP/s) against ggml's own F32 matrix-product rate at the same shapes (test-backend-ops perf), in alternated rounds",
  )
  .option("-m, --model <path>", "a base of the lab's shape, read for its dimensions", "models/lab-base.gguf")
  .option("--tokens <n>", "pretraining tokens per timed run (world 1, the lab's recipe)", intOption("--tokens"), 65536)
  .option("--rounds <n>", "alternated rounds (min / median / max reported)", intOption("--rounds"), 3)
  .option("--test-backend-ops-bin <path>", "a test-backend-ops binary (default: built once from the pinned source)")
  .option("-t, --threads <n>", THREADS_HELP, intOption("--threads"))
  .option("--json", "print one JSON object on stdout")
  .action(
    async (o: {
      model: string;
      tokens: number;
      rounds: number;
      testBackendOpsBin?: string;
      threads?: number;
      json?: boolean;
    }) => {
      const r = await benchPretrain({ ...o, onStatus: benchStatus });
      const g = (x: number) => x.toFixed(1);
      printBench(
        r,
        o.json,
        () =>
          `${r.model}: ${(r.flop_per_token / 1e6).toFixed(2)} matrix MFLOP per trained token (window ${r.n_ctx}), ${r.rounds} alternated rounds, min / median / max\n` +
          `  pretraining (${r.threads} thread): ${r.tokens_per_cpu_second.min.toFixed(0)} / ${r.tokens_per_cpu_second.median.toFixed(0)} / ${r.tokens_per_cpu_second.max.toFixed(0)} tokens per CPU second = ${g(r.gflops.min)} / ${g(r.gflops.median)} / ${g(r.gflops.max)} GFLOP/s (wall clock: ${r.tokens_per_second.median.toFixed(0)} tokens/s)\n` +
          `  F32 MUL_MAT peak at these shapes (test-backend-ops, ${r.matrix.threads} thread, per CPU second): ${g(r.peak_gflops.min)} / ${g(r.peak_gflops.median)} / ${g(r.peak_gflops.max)} GFLOP/s\n` +
          `  pretraining ÷ peak: ${formatSpread(r.fraction_of_peak)} (target ≥ 0.5); ÷ every product of a window at those rates (${r.matrix.matrix_bound_tokens_per_second.toFixed(0)} tokens/s): ${formatSpread(r.fraction_of_matrix_bound)}\n` +
          r.matrix.products
            .map(
              (p) =>
                `    ${p.name.padEnd(16)} ${`${p.m}×${p.n}×${p.k}${p.batch > 1 ? `×${p.batch}` : ""}`.padEnd(16)} ×${String(p.count).padEnd(3)} ${p.gflops.toFixed(1).padStart(7)} GFLOP/s\n`,
            )
            .join(""),
      );
    },
  );

export const benchCommand = new Command("bench")
  .description("benchmarks against peers measured in the same run")
  .addCommand(generate)
  .addCommand(lab.exitOverride())
  .addCommand(rules)
  .addCommand(scoreBench)
  .addCommand(trainBench)
  .addCommand(pretrainBench)
  .addCommand(threadsBench)
  .addCommand(benchServeCommand)
  .addCommand(benchJudgeCommand);
