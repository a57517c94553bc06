import { spawnSync } from "node:child_process";
import { type BenchCpu, benchCpu } from "./cpuInfo.js";
import { IitError } from "../errors.js";
import { loadModel } from "../model/Model.js";
import { alternate, formatSpread, median, spread, type Spread } from "./rounds.js";
import { ensureLlamaTool } from "./llamaTools.js";
import { checkLoad, startLoad } from "./load.js";
import { openPeer } from "./peer.js";

export interface BenchGenerateOptions {
  model: string;
  threads?: number;
  /** Raw-text prompt. Defaults to `"Once upon a time"`. */
  prompt?: string;
  /** Tokens generated per run. Defaults to `128`. */
  maxTokens?: number;
  /** Timed runs per engine after one warm-up; the median is reported. Defaults to `3`. */
  repeats?: number;
  /** Defaults to `[1, 4, 8]`. */
  parallel?: number[];
  /** A llama-batched-bench binary; by default it is built once from the pinned source into the temp dir. */
  batchedBenchBin?: string;
  /** Busy processes (one spinning core each) running beside every measurement. Defaults to `0`. */
  load?: number;
  onStatus?: (msg: string) => void;
}

export interface BenchGenerateResult {
  /** The CPU, its ISA flags, ggml's CPU features and the load average at the start. */
  cpu: BenchCpu;
  model: string;
  threads: number;
  /** Busy processes that ran beside the measurements. */
  load: number;
  n_tokens: number;
  ours_tps: number;
  peer_tps: number;
  ratio: number;
  /** Aggregate generated tokens/s per parallel level (median of the rounds; EOS ignored, maxTokens each). */
  parallel: Record<string, number>;
  /** Per parallel level: our aggregate tokens/s over the rounds. */
  parallel_spread: Record<string, Spread>;
  /** Per parallel level: ours / llama-batched-bench (pl × tg over its pp + tg time), alternated rounds. */
  parallel_ratio: Record<string, Spread>;
}

/**
 * llama-batched-bench at one parallel level: generated tokens per second of its whole (pp + tg) time. Flash
 * attention as in our contexts (llama.cpp's default, auto: on for the CPU). A run that exits 0 without its
 * result line is run again, up to 3 times (seen here now and then with nothing on stdout; cause not examined).
 */
function batchedBench(
  bin: string,
  model: string,
  opts: { pp: number; tg: number; pl: number; ctx: number; threads: number },
): number {
  for (let attempt = 1; ; attempt++) {
    const rate = batchedBenchOnce(bin, model, opts);
    if (rate !== null) return rate;
    if (attempt === 3)
      throw new IitError("BENCH_FAILED", `llama-batched-bench printed no result for pl ${opts.pl} in 3 runs`);
  }
}

function batchedBenchOnce(
  bin: string,
  model: string,
  opts: { pp: number; tg: number; pl: number; ctx: number; threads: number },
): number | null {
  const r = spawnSync(
    bin,
    [
      "-m",
      model,
      "-c",
      String(opts.ctx),
      "-b",
      "2048",
      "-ub",
      "512",
      "-npp",
      String(opts.pp),
      "-ntg",
      String(opts.tg),
      "-npl",
      String(opts.pl),
      "-t",
      String(opts.threads),
      "-ngl",
      "0",
      "-fa",
      "auto",
      "--output-format",
      "jsonl",
    ],
    { encoding: "utf8", maxBuffer: 64 << 20 },
  );
  if (r.status !== 0)
    throw new IitError("BENCH_FAILED", `llama-batched-bench exited with ${r.status}: ${r.stderr.slice(-800)}`);
  const row = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { pl: number; tg: number; t: number })
    .find((x) => x.pl === opts.pl);
  return row ? (row.pl * row.tg) / row.t : null;
}

/** Greedy tokens/s of our engine vs node-llama-cpp on the same model, prompt and threads, measured in one run. */
export async function benchGenerate(opts: BenchGenerateOptions): Promise<BenchGenerateResult> {
  const cpu = benchCpu();
  const maxTokens = opts.maxTokens ?? 128;
  const repeats = opts.repeats ?? 3;
  const levels = opts.parallel ?? [1, 4, 8];
  const status = opts.onStatus ?? (() => {});
  checkLoad(opts.load ?? 0);
  await using busy = await startLoad(opts.load ?? 0);
  await using model = await loadModel({ model: opts.model, threads: opts.threads });
  const threads = model.threadsFor(1);
  const prompt = opts.prompt ?? "Once upon a time";
  const promptTokens = model.tokenize(prompt, { addSpecial: true });
  const contextSize = Math.ceil((promptTokens.length + maxTokens + 16) / 256) * 256;
  const gen = { template: "raw" as const, maxTokens, temperature: 0, contextSize };

  const ours: number[] = [];
  let nTokens = 0;
  for (let i = 0; i <= repeats; i++) {
    const t0 = performance.now();
    const [r] = await model.generate(prompt, gen);
    const s = (performance.now() - t0) / 1000;
    nTokens = r.tokens.length;
    if (i > 0) ours.push(r.tokens.length / s);
  }
  status(`ours: ${median(ours).toFixed(1)} tok/s`);

  const peer = await openPeer(model.path, threads, contextSize);
  const peerRuns: number[] = [];
  try {
    for (let i = 0; i <= repeats; i++) {
      const r = await peer.greedy(promptTokens, maxTokens);
      if (i > 0) peerRuns.push(r.tokens.length / r.seconds);
    }
  } finally {
    await peer.dispose();
  }
  status(`node-llama-cpp: ${median(peerRuns).toFixed(1)} tok/s`);

  const bbBin = opts.batchedBenchBin ?? ensureLlamaTool("llama-batched-bench", status);
  const parallel: Record<string, number> = {};
  const parallel_spread: Record<string, Spread> = {};
  const parallel_ratio: Record<string, Spread> = {};
  for (const p of levels) {
    const prompts = Array.from({ length: p }, () => prompt);
    await model.generate(prompts, { ...gen, parallel: p, ignoreEos: true }); // warm-up
    const runs: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const oursRun = async () => {
        const t0 = performance.now();
        const rs = await model.generate(prompts, { ...gen, parallel: p, ignoreEos: true });
        return rs.reduce((n, x) => n + x.tokens.length, 0) / ((performance.now() - t0) / 1000);
      };
      const peerRun = () =>
        batchedBench(bbBin, model.path, {
          pp: promptTokens.length,
          tg: maxTokens,
          pl: p,
          ctx: contextSize * p,
          threads: model.threadsFor(p),
        });
      const [a, b] = await alternate(r, oursRun, peerRun);
      runs.push(a);
      ratios.push(a / b);
    }
    parallel[String(p)] = median(runs);
    parallel_spread[String(p)] = spread(runs);
    parallel_ratio[String(p)] = spread(ratios);
    const q = parallel_ratio[String(p)];
    status(
      `parallel ${p}: ${parallel[String(p)].toFixed(1)} tok/s aggregate; vs llama-batched-bench ${formatSpread(q)}`,
    );
  }
  const ours_tps = median(ours);
  const peer_tps = median(peerRuns);
  return {
    cpu,
    model: model.path,
    threads,
    load: busy.n,
    n_tokens: nTokens,
    ours_tps,
    peer_tps,
    ratio: ours_tps / peer_tps,
    parallel,
    parallel_spread,
    parallel_ratio,
  };
}
