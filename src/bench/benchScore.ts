// Scoring throughput: `score` of every position of an N-token sequence vs llama.cpp's own prompt
// processing of N tokens (`llama-bench -p N -n 0`), built from the same pinned commit without our patches.
import { spawnSync } from "node:child_process";
import { IitError } from "../errors.js";
import { loadModel } from "../model/Model.js";
import { resolveThreads } from "../model/options.js";
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
  onStatus?: (msg: string) => void;
}

export interface BenchScoreRound {
  /** Every position scored: logits and log_softmax of all N rows. */
  ours_score_tps: number;
  /** The same decode with logits of the last row only: the work llama-bench's pp does. */
  ours_prefill_tps: number;
  llama_bench_tps: number;
}

export interface BenchScoreResult {
  model: string;
  threads: number;
  n_tokens: number;
  rounds: BenchScoreRound[];
  /** ours_score_tps / llama_bench_tps over the rounds. */
  score_ratio: Spread;
  /** ours_prefill_tps / llama_bench_tps over the rounds. */
  prefill_ratio: Spread;
}

/** One llama-bench prompt-processing run: tokens/s averaged over its repetitions. */
function llamaBenchPp(bin: string, model: string, n: number, threads: number, nBatch: number): number {
  const r = spawnSync(bin, ["-m", model, "-p", String(n), "-n", "0", "-t", String(threads), "-b", String(nBatch), "-ub", String(nBatch),
    "-r", "3", "-ngl", "0", "-o", "json"], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new IitError("BENCH_FAILED", `llama-bench exited with ${r.status}: ${r.stderr.slice(-800)}`);
  const rows = JSON.parse(r.stdout) as { avg_ts: number; n_prompt: number }[];
  const row = rows.find((x) => x.n_prompt === n);
  if (!row) throw new IitError("BENCH_FAILED", `llama-bench printed no pp${n} result: ${r.stdout.slice(0, 400)}`);
  return row.avg_ts;
}

export async function benchScore(o: BenchScoreOptions): Promise<BenchScoreResult> {
  const status = o.onStatus ?? (() => {});
  const threads = resolveThreads(o.threads);
  const n = o.nTokens ?? 967;
  const rounds = o.rounds ?? 3;
  const bin = o.llamaBenchBin ?? ensureLlamaTool("llama-bench", status);
  await using model = await loadModel({ model: o.model, threads });
  // Like llama-bench: BOS (when the vocabulary adds one), then fixed pseudo-random token ids.
  const nVocab = model.meta.nVocab;
  const tokens = [...model.bosPrefix];
  for (let i = 0; tokens.length < n; i++) tokens.push((i * 7919 + 13) % nVocab);
  // scoreSequences decodes in batches of 512 (Model._contextFor); llama-bench gets the same batch.
  const nBatch = 512;

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
  for (let r = 0; r < rounds; r++) {
    const ours = async () => ({ score: await time(1, 3), prefill: await time(n, 3) });
    const peer = () => llamaBenchPp(bin, o.model, n, threads, nBatch);
    const [a, b] = await alternate(r, ours, peer);
    out.push({ ours_score_tps: a.score, ours_prefill_tps: a.prefill, llama_bench_tps: b });
    status(`round ${r + 1}: score ${a.score.toFixed(0)} tok/s, prefill ${a.prefill.toFixed(0)} tok/s, llama-bench pp${n} ${b.toFixed(0)} tok/s`);
  }
  return {
    model: model.path,
    threads,
    n_tokens: n,
    rounds: out,
    score_ratio: spread(out.map((x) => x.ours_score_tps / x.llama_bench_tps)),
    prefill_ratio: spread(out.map((x) => x.ours_prefill_tps / x.llama_bench_tps)),
  };
}
