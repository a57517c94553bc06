// Scoring throughput against llama.cpp's own tools, built from the same pinned commit without our patches:
// `score` of every position of an N-token sequence vs prompt processing of N tokens (`llama-bench -p N -n 0`,
// which computes the output layer for the last row only), and `score` of the second half vs
// `llama-perplexity -c N`, which computes the output layer for exactly those rows: the same work.
import { type BenchCpu, benchCpu } from "./cpuInfo.js";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IitError } from "../errors.js";
import { loadModel } from "../model/Model.js";
import { ensureLlamaTool } from "./llamaTools.js";
import { alternate, spread, type Spread } from "./rounds.js";

export interface BenchScoreOptions {
  model: string;
  threads?: number;
  /** Tokens scored (and prompt-processed by llama-bench). Defaults to `967`. */
  nTokens?: number;
  /** Alternated rounds (ours, llama-bench / llama-bench, ours, …). Defaults to `3`. */
  rounds?: number;
  /** A llama-bench binary; by default it is built once from the pinned source into the temp dir. */
  llamaBenchBin?: string;
  /** A llama-perplexity binary; built the same way by default. */
  perplexityBin?: string;
  onStatus?: (msg: string) => void;
}

export interface BenchScoreRound {
  /** Every position scored: logits and log_softmax of all N rows. */
  ours_score_tps: number;
  /** The same decode with logits of the last row only: the work llama-bench's pp does. */
  ours_prefill_tps: number;
  llama_bench_tps: number;
  /** Positions N/2.. scored (logits and log_softmax of those rows). */
  ours_half_tps: number;
  /** llama-perplexity's prompt eval of N-token chunks (the timed ones: perplexityRate), logits of rows N/2.. (its log_softmax is not timed). */
  perplexity_tps: number;
}

export interface BenchScoreResult {
  /** The CPU, its ISA flags, ggml's CPU features and the load average at the start. */
  cpu: BenchCpu;
  model: string;
  threads: number;
  n_tokens: number;
  rounds: BenchScoreRound[];
  /** ours_score_tps / llama_bench_tps over the rounds. */
  score_ratio: Spread;
  /** ours_prefill_tps / llama_bench_tps over the rounds. */
  prefill_ratio: Spread;
  /** ours_half_tps / perplexity_tps over the rounds: the like-for-like scoring comparison. */
  half_ratio: Spread;
}

/** One llama-bench prompt-processing run: tokens/s averaged over its repetitions. */
function llamaBenchPp(bin: string, model: string, n: number, threads: number, nBatch: number): number {
  const r = spawnSync(
    bin,
    [
      "-m",
      model,
      "-p",
      String(n),
      "-n",
      "0",
      "-t",
      String(threads),
      "-b",
      String(nBatch),
      "-ub",
      String(nBatch),
      "-r",
      "3",
      "-ngl",
      "0",
      "-o",
      "json",
    ],
    { encoding: "utf8", maxBuffer: 64 << 20 },
  );
  if (r.status !== 0)
    throw new IitError("BENCH_FAILED", `llama-bench exited with ${r.status}: ${r.stderr.slice(-800)}`);
  const rows = JSON.parse(r.stdout) as { avg_ts: number; n_prompt: number }[];
  const row = rows.find((x) => x.n_prompt === n);
  if (!row) throw new IitError("BENCH_FAILED", `llama-bench printed no pp${n} result: ${r.stdout.slice(0, 400)}`);
  return row.avg_ts;
}

/**
 * llama-perplexity's prompt-eval rate from its llama_perf line, for `chunks` chunks of n tokens. llama.cpp's
 * counter counts every chunk's tokens but not the first chunk's time: its first decodes grow the output buffer
 * past the warm-up's, and the synchronize() inside that (before the compute) closes the timer, so the compute
 * after it goes untimed (1 chunk of 967 tokens reports 0.7 ms). The rate is therefore over chunks 2..: the
 * counted tokens less one chunk, over the counted time.
 */
export function perplexityRate(stderr: string, n: number, chunks: number): number {
  const m = /prompt eval time =\s*([\d.]+) ms \/\s*(\d+) tokens/.exec(stderr);
  if (!m) throw new IitError("BENCH_FAILED", `llama-perplexity printed no prompt eval time: ${stderr.slice(-800)}`);
  const tokens = Number(m[2]);
  if (tokens !== n * chunks)
    throw new IitError(
      "BENCH_FAILED",
      `llama-perplexity evaluated ${tokens} tokens, not ${chunks} chunks of ${n}: is its text long enough?`,
    );
  return (tokens - n) / (Number(m[1]) / 1000);
}

/**
 * One llama-perplexity run over `chunks` chunks of n tokens of the text in `file` (see perplexityRate): decode
 * time of every chunk, output rows n/2.. of each; its own log_softmax runs outside that timer. Its batch is at
 * most n: a larger one would pack several chunks into one decode, which our scorer never does.
 */
function perplexityPp(
  bin: string,
  model: string,
  file: string,
  n: number,
  chunks: number,
  threads: number,
  nBatch: number,
): number {
  const b = String(Math.min(n, nBatch));
  const r = spawnSync(
    bin,
    [
      "-m",
      model,
      "-f",
      file,
      "-c",
      String(n),
      "-b",
      b,
      "-ub",
      b,
      "--chunks",
      String(chunks),
      "-t",
      String(threads),
      "-ngl",
      "0",
      "--perf",
      "-v",
    ],
    { encoding: "utf8", maxBuffer: 256 << 20 },
  ); // llama_perf's lines print only with -v
  if (r.status !== 0)
    throw new IitError("BENCH_FAILED", `llama-perplexity exited with ${r.status}: ${r.stderr.slice(-800)}`);
  return perplexityRate(r.stderr, n, chunks);
}

export async function benchScore(opts: BenchScoreOptions): Promise<BenchScoreResult> {
  const cpu = benchCpu();
  const status = opts.onStatus ?? (() => {});
  const n = opts.nTokens ?? 967;
  const rounds = opts.rounds ?? 3;
  const bin = opts.llamaBenchBin ?? ensureLlamaTool("llama-bench", status);
  const pplBin = opts.perplexityBin ?? ensureLlamaTool("llama-perplexity", status);
  await using model = await loadModel({ model: opts.model, threads: opts.threads });
  const threads = model.threadsFor(512); // a scoring context decodes up to 512 tokens at a time
  // Like llama-bench: BOS (when the vocabulary adds one), then fixed pseudo-random token ids.
  const nVocab = model.meta.nVocab;
  const tokens = [...model.bosPrefix];
  for (let i = 0; tokens.length < n; i++) tokens.push((i * 7919 + 13) % nVocab);
  // scoreSequences decodes in batches of 512 (Model._contextFor); llama.cpp's tools get the same batch.
  const nBatch = 512;
  // llama-perplexity reads text: the same ids as text, enough for `chunks` chunks of n tokens (it tokenizes
  // to a similar count; which tokens they are does not change the work).
  const chunks = 4; // the first is not timed (perplexityRate)
  const dir = mkdtempSync(join(tmpdir(), "iit-bench-ppl-"));
  const textFile = join(dir, "text.txt");
  writeFileSync(textFile, model.detokenize(tokens.slice(model.bosPrefix.length)).repeat(2 * chunks));
  // Its chunks output rows n/2 ..n-1; `from` is the first scored position, so rows from-1.. get logits.
  const half = Math.floor(n / 2) + 1;

  const time = async (from: number, reps: number) => {
    const xs: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await model.score([{ tokens, from }]);
      xs.push(n / ((performance.now() - t0) / 1000));
    }
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  await time(1, 1); // warm-up: context creation, first-touch of the weights

  const out: BenchScoreRound[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const ours = async () => ({ score: await time(1, 3), prefill: await time(n, 3), half: await time(half, 3) });
      const peer = () => ({
        pp: llamaBenchPp(bin, opts.model, n, threads, nBatch),
        ppl: perplexityPp(pplBin, opts.model, textFile, n, chunks, threads, nBatch),
      });
      const [a, b] = await alternate(r, ours, peer);
      out.push({
        ours_score_tps: a.score,
        ours_prefill_tps: a.prefill,
        llama_bench_tps: b.pp,
        ours_half_tps: a.half,
        perplexity_tps: b.ppl,
      });
      status(
        `round ${r + 1}: score ${a.score.toFixed(0)} tok/s, prefill ${a.prefill.toFixed(0)} tok/s, llama-bench pp${n} ${b.pp.toFixed(0)} tok/s; ` +
          `second half scored ${a.half.toFixed(0)} tok/s, llama-perplexity ${b.ppl.toFixed(0)} tok/s`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    cpu,
    model: model.path,
    threads,
    n_tokens: n,
    rounds: out,
    score_ratio: spread(out.map((x) => x.ours_score_tps / x.llama_bench_tps)),
    prefill_ratio: spread(out.map((x) => x.ours_prefill_tps / x.llama_bench_tps)),
    half_ratio: spread(out.map((x) => x.ours_half_tps / x.perplexity_tps)),
  };
}
