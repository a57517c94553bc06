// Training throughput and peak memory: `iit train` vs llama.cpp's own llama-finetune, built from the
// same pinned commit (pristine, without our patches), on the same model, text, window and threads.
import { type BenchCpu, benchCpu } from "./cpuInfo.js";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../util/packageRoot.js";
import { readMessagesJsonl } from "../data/messages.js";
import { IitError } from "../errors.js";
import { loadModel } from "../model/Model.js";
import { trainThreads } from "../training/trainOptions.js";
import { alternate, median, spread, type Spread } from "./rounds.js";
import { ensureLlamaTool } from "./llamaTools.js";
import { checkLoad, startLoad } from "./load.js";

export interface BenchTrainOptions {
  model: string;
  /** Messages JSONL; its assistant turns become the text both trainers see. */
  data: string;
  nCtx?: number;
  threads?: number;
  /** Examples of `data` whose assistant text llama-finetune trains on. Defaults to `64`. */
  examples?: number;
  /** A llama-finetune binary; by default it is built once from the pinned source into the temp dir. */
  finetuneBin?: string;
  /** Rounds of ours (LM mode) vs llama-finetune, alternated (A B, B A, …). Defaults to `3`. */
  rounds?: number;
  /** Busy processes (one spinning core each) running beside every measurement. Defaults to `0`. */
  load?: number;
  onStatus?: (msg: string) => void;
}

export interface RunStats {
  tokens_per_second: number;
  peak_rss_mb: number;
  seconds: number;
  /** CPU seconds of the process (user + system): on a shared machine, the cost that other work does not inflate. */
  cpu_seconds: number;
}

export interface BenchTrainResult {
  /** The CPU, its ISA flags, ggml's CPU features and the load average at the start. */
  cpu: BenchCpu;
  model: string;
  n_ctx: number;
  threads: number;
  /** Busy processes that ran beside the measurements. */
  load: number;
  windows: number;
  rounds: number;
  /** Like for like with llama-finetune: LM loss, token_embd frozen. */
  ours: RunStats;
  /** Instruction-mode masking (prompt positions masked), token_embd frozen. */
  ours_masked: RunStats;
  /** Our default: token_embd trained too. */
  ours_train_embeddings: RunStats;
  llama_finetune: RunStats;
  /** Median over the rounds of ours / llama-finetune tokens/s (and `ratios` min/median/max). */
  ratio: number;
  ratios: Spread;
  /** ours / llama-finetune in tokens per CPU second (process user + system time), min/median/max over the rounds. */
  cpu_time_ratios: Spread;
  /** Our tokens/s (wall time, like for like) over the rounds. */
  ours_tps: Spread;
  /** Median over the rounds of ours / llama-finetune peak RSS (and `memory_ratios` min/median/max). */
  memory_ratio: number;
  memory_ratios: Spread;
  /** Peak RSS of Node with our CLI and addon loaded and no model (`iit inspect --system`), median over the rounds. */
  node_baseline_mb: number;
  /** (ours − Node's baseline) / llama-finetune peak RSS per round: what training adds to Node, against the peer. */
  memory_beyond_node_ratios: Spread;
  masking_cost: number;
}

/** Runs a command under GNU time: wall seconds, CPU seconds (user + system) and peak RSS. */
async function timed(
  cmd: string,
  args: string[],
): Promise<{ seconds: number; cpuSeconds: number; peakMb: number; stdout: string; stderr: string }> {
  const useTime = existsSync("/usr/bin/time");
  const [exe, argv] = useTime ? ["/usr/bin/time", ["-f", "IIT_PEAK_KB=%M IIT_CPU_S=%U %S", cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(exe, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => {
      if (code !== 0) return reject(new IitError("BENCH_FAILED", `${cmd} exited with ${code}: ${stderr.slice(-800)}`));
      const kb = Number(/IIT_PEAK_KB=(\d+)/.exec(stderr)?.[1] ?? NaN);
      const cpu = /IIT_CPU_S=([\d.]+) ([\d.]+)/.exec(stderr);
      resolve({
        seconds: (performance.now() - t0) / 1000,
        cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN,
        peakMb: kb / 1024,
        stdout,
        stderr,
      });
    });
  });
}

export async function benchTrain(opts: BenchTrainOptions): Promise<BenchTrainResult> {
  const cpu = benchCpu();
  const status = opts.onStatus ?? (() => {});
  checkLoad(opts.load ?? 0);
  const nCtx = opts.nCtx ?? 256;
  const threads = trainThreads(opts.model, nCtx, opts.threads);
  await using busy = await startLoad(opts.load ?? 0);
  const dir = join(tmpdir(), `iit-bench-train-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const bin = opts.finetuneBin ?? ensureLlamaTool("llama-finetune", status);

  // llama-finetune trains on one text (the assistant turns, concatenated), cut into windows of nCtx
  // tokens at stride nCtx/2. Ours trains on as many examples as that makes windows, one per window
  // (LM mode: every position a target), so both do the same work: equal windows of equal length.
  const all = await readMessagesJsonl(opts.data);
  const rows = all.slice(0, opts.examples ?? 64);
  const text = rows
    .map((r) =>
      r.messages
        .filter((m) => m.role === "assistant")
        .map((m) => m.content)
        .join("\n"),
    )
    .join("\n\n");
  const txt = join(dir, "data.txt");
  await writeFile(txt, text);

  const finetune = () => {
    status("llama-finetune …");
    return timed(bin, [
      "-m",
      opts.model,
      "-f",
      txt,
      "-c",
      String(nCtx),
      "-b",
      String(nCtx),
      "-ub",
      String(nCtx),
      "-t",
      String(threads),
      "-ngl",
      "0",
      "--epochs",
      "1",
      "-fa",
      "off",
      "-val-split",
      "0",
      "-o",
      join(dir, "ft.gguf"),
    ]);
  };
  // It tokenizes the text with BOS and trains on every window of nCtx + 1 tokens at stride nCtx/2.
  let ftWindows: number;
  {
    await using vocab = await loadModel({ model: opts.model, vocabOnly: true });
    const n = vocab.tokenize(text, { addSpecial: true }).length;
    ftWindows = Math.floor((n - nCtx - 1) / (nCtx / 2));
  }

  const cli = join(packageRoot, "dist", "cli", "main.js");
  const ours = async (mode: "lm" | "instruction", name: string, freeze = true) => {
    status(`iit train --mode ${mode} …`);
    const r = await timed(process.execPath, [
      cli,
      "train",
      "-m",
      opts.model,
      "--data",
      opts.data,
      "--mode",
      mode,
      "-o",
      join(dir, `${name}.gguf`),
      "--epochs",
      "1",
      "--lr",
      "1e-5",
      "--n-ctx",
      String(nCtx),
      "--max-examples",
      String(Math.min(ftWindows, all.length)),
      "-t",
      String(threads),
      ...(freeze ? ["--freeze-embeddings"] : []),
      "--json",
    ]);
    const log = JSON.parse(await readFile(join(dir, `${name}.gguf.train.json`), "utf8")) as {
      windows: { windows: number };
    };
    return {
      ...r,
      windows: log.windows.windows,
      tps: (JSON.parse(r.stdout) as { tokens_per_second: number }).tokens_per_second,
    };
  };
  // Node's own peak RSS (CLI and addon loaded, no model), measured beside ours in every round
  const baseline = async () => (await timed(process.execPath, [cli, "inspect", "--system"])).peakMb;
  const rounds: { ft: Awaited<ReturnType<typeof finetune>>; lm: Awaited<ReturnType<typeof ours>>; nodeMb: number }[] =
    [];
  for (let r = 0; r < (opts.rounds ?? 3); r++) {
    const [mine, ft] = await alternate(
      r,
      async () => ({ lm: await ours("lm", "ours-lm"), nodeMb: await baseline() }),
      finetune,
    );
    rounds.push({ ft, ...mine });
  }
  const ftTpsOf = (ft: { seconds: number }) => (ftWindows * nCtx) / ft.seconds;
  const oursTpsOf = (lm: { windows: number; seconds: number }) => (lm.windows * nCtx) / lm.seconds;
  const ratios = spread(rounds.map((x) => oursTpsOf(x.lm) / ftTpsOf(x.ft)));
  // the same ratio in CPU time (tokens per CPU second), which a loaded machine's scheduling does not skew
  const cpuRatios = spread(rounds.map((x) => x.lm.windows / x.lm.cpuSeconds / (ftWindows / x.ft.cpuSeconds)));
  const memoryRatios = spread(rounds.map((x) => x.lm.peakMb / x.ft.peakMb));
  const beyondNode = spread(rounds.map((x) => (x.lm.peakMb - x.nodeMb) / x.ft.peakMb));
  // the reported runs: the round with the median speed ratio
  const { ft, lm } = rounds.find((x) => oursTpsOf(x.lm) / ftTpsOf(x.ft) === ratios.median)!;
  const masked = await ours("instruction", "ours-masked");
  const withEmbd = await ours("lm", "ours-embd", false);

  // llama-finetune prints no throughput: its tokens/s is windows × nCtx over its wall time, and ours
  // is measured the same way (wall time of the whole process: load, tokenization, the epoch's
  // checkpoint and the final save included) for the ratio.
  const ftTps = ftTpsOf(ft);
  const oursWall = oursTpsOf(lm);
  const stats = (tps: number, r: { peakMb: number; seconds: number; cpuSeconds: number }): RunStats => ({
    tokens_per_second: tps,
    peak_rss_mb: r.peakMb,
    seconds: r.seconds,
    cpu_seconds: r.cpuSeconds,
  });
  return {
    cpu,
    model: opts.model,
    n_ctx: nCtx,
    threads,
    load: busy.n,
    windows: lm.windows,
    rounds: rounds.length,
    ours: stats(oursWall, lm),
    ours_masked: stats((masked.windows * nCtx) / masked.seconds, masked),
    ours_train_embeddings: stats((withEmbd.windows * nCtx) / withEmbd.seconds, withEmbd),
    llama_finetune: stats(ftTps, ft),
    ratio: ratios.median,
    ratios,
    cpu_time_ratios: cpuRatios,
    ours_tps: spread(rounds.map((x) => oursTpsOf(x.lm))),
    memory_ratio: memoryRatios.median,
    memory_ratios: memoryRatios,
    node_baseline_mb: median(rounds.map((x) => x.nodeMb)),
    memory_beyond_node_ratios: beyondNode,
    masking_cost: 1 - masked.tps / lm.tps,
  };
}
