// `iit bench threads`: the CLI's generate and train as real processes, with the default thread count
// against explicit ones, on a quiet machine and beside N busy processes, in alternated rounds (issue 26:
// the default must not lose to one thread, and under load stay within 1.5× the quiet 1-thread time).
import { type BenchCpu, benchCpu } from "./cpuInfo.js";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeJsonlAtomic } from "../data/messages.js";
import { IitError } from "../errors.js";
import { labPrompts, tuningSets } from "../lab/corpus.js";
import { makeWorld } from "../lab/world.js";
import { packageRoot } from "../util/packageRoot.js";
import { checkLoad, startLoad } from "./load.js";
import { spread, type Spread } from "./rounds.js";

export interface BenchThreadsOptions {
  model: string;
  /** Explicit counts measured beside the default (no -t). Defaults to `[1, 2]`. */
  threads?: number[];
  /** Busy processes in the loaded runs. Defaults to `1`. */
  load?: number;
  rounds?: number;
  /** Prompts (JSONL); defaults to the lab's evaluation prompts of world 1. */
  prompts?: string;
  /** Training data (messages JSONL); defaults to world 1's instruction-tuning set. */
  data?: string;
  /** Training examples (one 256-token window each). Defaults to `32`. */
  trainExamples?: number;
  onStatus?: (m: string) => void;
}

export interface BenchThreadsCase {
  job: "generate" | "train";
  /** "default" or the explicit count. */
  threads: string;
  load: number;
  seconds: Spread;
  /** Decodes (generate) or training windows (train) run on 1, 2, … threads, summed over the rounds. */
  by_threads: number[];
}

export interface BenchThreadsResult {
  /** The CPU, its ISA flags, ggml's CPU features and the load average at the start. */
  cpu: BenchCpu;
  model: string;
  load: number;
  rounds: number;
  cases: BenchThreadsCase[];
  /** Per job: median seconds of the default under load ÷ median of 1 thread on the quiet machine (target ≤ 1.5). */
  loaded_default_vs_quiet_1: Record<string, number>;
}

/** The result as a markdown table: one row per job and thread setting, quiet and loaded side by side. */
export function threadsMarkdown(r: BenchThreadsResult): string {
  const f = (x: Spread) => `${x.min.toFixed(2)} / ${x.median.toFixed(2)} / ${x.max.toFixed(2)}`;
  const share = (c: BenchThreadsCase | undefined) => {
    const total = c ? c.by_threads.reduce((a, b) => a + b, 0) : 0;
    return c && total ? `${((100 * (total - (c.by_threads[0] ?? 0))) / total).toFixed(0)}%` : "";
  };
  const rows = [...new Set(r.cases.map((c) => `${c.job}|${c.threads}`))].map((key) => {
    const [job, threads] = key.split("|");
    const at = (n: number) => r.cases.find((c) => c.job === job && c.threads === threads && c.load === n);
    const quiet = at(0);
    const loaded = at(r.load);
    return `| ${job} | ${threads} | ${quiet ? f(quiet.seconds) : ""} | ${share(quiet)} | ${loaded ? f(loaded.seconds) : ""} | ${share(loaded)} |`;
  });
  const ratios = Object.entries(r.loaded_default_vs_quiet_1)
    .map(([j, x]) => `${j} ${x.toFixed(2)}`)
    .join(", ");
  return (
    `${r.model}, ${r.rounds} alternated rounds, seconds min / median / max, and the share of decodes (generate) or training windows (train) that ran on more than 1 thread:\n\n` +
    `| job | threads | no busy process | on 2+ threads | beside ${r.load} busy | on 2+ threads |\n| --- | --- | --- | --- | --- | --- |\n` +
    `${rows.join("\n")}\n\nDefault beside ${r.load} busy ÷ 1 thread with none (medians; target ≤ 1.5): ${ratios}.\n`
  );
}

/**
 * Wall seconds of one CLI run (model load and output writing included, as a user sees it), and the
 * threads its decodes or training windows ran on (from its --json).
 */
function timedCli(args: string[]): Promise<{ seconds: number; byThreads: number[] }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(packageRoot, "dist", "cli", "main.js"), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => {
      if (code !== 0)
        return reject(new IitError("BENCH_FAILED", `iit ${args[0]} exited with ${code}: ${stderr.slice(-800)}`));
      const out = JSON.parse(stdout) as { threads?: { decodesByThreads?: number[] }; windows_by_threads?: number[] };
      resolve({
        seconds: (performance.now() - t0) / 1000,
        byThreads: out.windows_by_threads ?? out.threads?.decodesByThreads ?? [],
      });
    });
  });
}

const addCounts = (a: number[], b: number[]) =>
  Array.from({ length: Math.max(a.length, b.length) }, (_, i) => (a[i] ?? 0) + (b[i] ?? 0));

export async function benchThreads(opts: BenchThreadsOptions): Promise<BenchThreadsResult> {
  const cpu = benchCpu();
  const status = opts.onStatus ?? (() => {});
  const load = checkLoad(opts.load ?? 1);
  const rounds = opts.rounds ?? 3;
  const settings = ["default", ...(opts.threads ?? [1, 2]).map(String)];
  const dir = mkdtempSync(join(tmpdir(), "iit-bench-threads-"));
  try {
    const world = makeWorld({ seed: 1 });
    const prompts = opts.prompts ?? join(dir, "prompts.jsonl");
    if (!opts.prompts)
      await writeJsonlAtomic(
        prompts,
        labPrompts(world).eval.map((p) => ({ instruction: p.instruction })),
      );
    const data = opts.data ?? join(dir, "train.jsonl");
    if (!opts.data) await writeJsonlAtomic(data, tuningSets(world).instruct);
    const tArgs = (t: string) => (t === "default" ? [] : ["-t", t]);
    const jobs = {
      // the lab's generation step: 40 tokens, 16 sequences at a time
      generate: (t: string) => {
        const out = join(dir, "out.json");
        rmSync(out, { force: true }); // else the run resumes and skips every prompt
        return timedCli([
          "generate",
          "-m",
          opts.model,
          "--input",
          prompts,
          "--output",
          out,
          "-n",
          "40",
          "--parallel",
          "16",
          ...tArgs(t),
          "--json",
        ]);
      },
      train: (t: string) => {
        const out = join(dir, "trained.gguf");
        rmSync(out, { force: true });
        return timedCli([
          "train",
          "-m",
          opts.model,
          "--data",
          data,
          "--mode",
          "lm",
          "-o",
          out,
          "--epochs",
          "1",
          "--lr",
          "1e-4",
          "--n-ctx",
          "256",
          "--max-examples",
          String(opts.trainExamples ?? 32),
          ...tArgs(t),
          "--json",
        ]);
      },
    };
    const times = new Map<string, number[]>();
    const used = new Map<string, number[]>();
    for (let r = 0; r < rounds; r++) {
      // every setting quiet and loaded; the order reverses every other round
      const order = settings.flatMap((t) => (load > 0 ? [0, load] : [0]).map((n) => ({ t, n })));
      if (r % 2 === 1) order.reverse();
      for (const job of ["generate", "train"] as const) {
        for (const { t, n } of order) {
          await using busy = await startLoad(n);
          const { seconds: s, byThreads } = await jobs[job](t);
          status(
            `round ${r + 1}: ${job} threads ${t}, ${busy.n} busy: ${s.toFixed(2)} s (by threads ${byThreads.join(" / ")})`,
          );
          const key = `${job}|${t}|${n}`;
          times.set(key, [...(times.get(key) ?? []), s]);
          used.set(key, addCounts(used.get(key) ?? [], byThreads));
        }
      }
    }
    const cases = [...times].map(([key, xs]) => {
      const [job, threads, n] = key.split("|");
      return {
        job: job as BenchThreadsCase["job"],
        threads,
        load: Number(n),
        seconds: spread(xs),
        by_threads: used.get(key) ?? [],
      };
    });
    const med = (job: string, t: string, n: number) =>
      cases.find((c) => c.job === job && c.threads === t && c.load === n)?.seconds.median ?? NaN;
    const loaded_default_vs_quiet_1 = Object.fromEntries(
      ["generate", "train"].map((j) => [j, med(j, "default", load) / med(j, "1", 0)]),
    );
    return { cpu, model: opts.model, load, rounds, cases, loaded_default_vs_quiet_1 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
