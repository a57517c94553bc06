// `iit bench serve`: iit serve (with and without rules) against llama-server built from the same pinned
// llama.cpp, on the same model, threads, slots and context per slot, driven by the same closed-loop HTTP
// clients with the same requests (64-token greedy completions with ignore_eos), in alternated rounds.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { loadavg } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../util/packageRoot.js";
import { type BenchCpu, benchCpu } from "./cpuInfo.js";
import { IitError, InvalidOptionError } from "../errors.js";
import { loadModel } from "../model/Model.js";
import { driveCompletions, percentile } from "./httpLoad.js";
import { ensureLlamaTool } from "./llamaTools.js";
import { checkLoad, startLoad } from "./load.js";
import { type Spread, spread } from "./rounds.js";

/** Short story openings: in the vocabulary of stories260K and of any Llama-2-vocabulary model. */
export const SERVE_PROMPTS = [
  "Once upon a time, there was a little girl named Lily.",
  "Tom and his dog went to the park.",
  "The sun was shining and the birds were singing.",
  "One day, a big red ball rolled down the hill.",
  "Sara wanted to bake a cake for her mom.",
  "There was a small cat who lived in a box.",
  "Ben found a shiny stone by the river. He",
  "The old man had a garden full of flowers.",
];

export type ServerName = "iit" | "iit+rules" | "llama-server";
export type ServeMode = "complete" | "stream";

export interface BenchServeOptions {
  model: string;
  /** Threads of both servers. Defaults to what iit chooses for the model at `parallel` sequences. */
  threads?: number;
  /** Sequences decoded together (slots): iit serve --parallel, llama-server -np. Defaults to `4`. */
  parallel?: number;
  /** Context per slot: iit serve --context-size (llama-server gets slots × this, split across its slots). Defaults to `512`. */
  contextSize?: number;
  /** Closed-loop clients. Defaults to `[1, 4, 16]`. */
  concurrency?: number[];
  /** Requests per concurrency level, server and round (at least 2 per client). Defaults to `48`. */
  requests?: number;
  /** Tokens per completion. Defaults to `64`. */
  maxTokens?: number;
  /** Alternated rounds. Defaults to `3`. */
  rounds?: number;
  /** The rule preset or file of the "iit+rules" server; `null` leaves that server out. Defaults to `"hewitt2024"`. */
  rules?: string | null;
  /** Modes measured. Defaults to both: plain completions and streamed ones. */
  modes?: ServeMode[];
  /** A llama-server binary; by default it is built once from the pinned source into the temp dir. */
  llamaServerBin?: string;
  /** Busy processes (one spinning core each) running beside every measurement. Defaults to `0`. */
  load?: number;
  onStatus?: (msg: string) => void;
}

export interface ServerStats {
  /** Requests per second over each round. */
  rps: Spread;
  p50_ms: Spread;
  p99_ms: Spread;
  /** Streaming: time to the first text chunk. */
  ttft_p50_ms?: Spread;
  ttft_p99_ms?: Spread;
  /** usage.completion_tokens over every response (both servers must report maxTokens). */
  completion_tokens: { min: number; max: number };
  /** Requests sent again after the server closed the connection without answering (all rounds). */
  retries: number;
}

export interface ServeLevel {
  mode: ServeMode;
  concurrency: number;
  requests: number;
  servers: Partial<Record<ServerName, ServerStats>>;
  /** Per round, ours ÷ llama-server's: requests/s (target ≥ 1), p99 latency (target ≤ 1.2), streaming p50 TTFT. */
  ratios: Partial<Record<"iit" | "iit+rules", { rps: Spread; p99: Spread; ttft_p50?: Spread }>>;
}

export interface BenchServeResult {
  model: string;
  cpu: BenchCpu;
  threads: number;
  slots: number;
  ctx: number;
  max_tokens: number;
  rounds: number;
  /** Busy processes that ran beside the measurements. */
  load: number;
  /** 1-minute load average when the measurement started and ended. */
  loadavg: [number, number];
  rules: string | null;
  levels: ServeLevel[];
  targets: { rps_ratio_min: 1; p99_ratio_max: 1.2 };
}

interface Running {
  name: ServerName;
  url: string;
  proc: ChildProcess;
  stderr: () => string;
}

/** A port that was free a moment ago (llama-server needs one on its command line). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

/** Spawns a server process; `ready` resolves with its base URL once it answers. */
function spawnServer(
  name: ServerName,
  cmd: string,
  args: string[],
  ready: (proc: ChildProcess, stdout: () => string) => Promise<string>,
): Promise<Running> {
  const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout!.on("data", (d) => {
    out += d;
  });
  // Only the tail is kept: llama-server logs every request.
  proc.stderr!.on("data", (d) => {
    err = (err + d).slice(-8000);
  });
  const exited = new Promise<never>((_, reject) =>
    proc.once("exit", (code, sig) =>
      reject(new IitError("BENCH_FAILED", `${name} exited (${code ?? sig}) before it served: ${err.slice(-1500)}`)),
    ),
  );
  exited.catch(() => undefined);
  return Promise.race([ready(proc, () => out), exited]).then(
    (url) => ({ name, url, proc, stderr: () => err }),
    (e) => {
      proc.kill("SIGKILL");
      throw e;
    },
  );
}

async function startIit(
  name: ServerName,
  o: { model: string; threads: number; slots: number; ctx: number; rules?: string },
) {
  const cli = join(packageRoot, "dist", "cli", "main.js");
  const args = [cli, "serve", "-m", o.model, "--port", "0", "--json", "-t", String(o.threads)];
  args.push("--parallel", String(o.slots), "--context-size", String(o.ctx), "--max-queue", "4096");
  if (o.rules) args.push("--rules", o.rules);
  return spawnServer(name, process.execPath, args, async (_proc, stdout) => {
    for (let i = 0; i < 1200; i++) {
      try {
        return `${JSON.parse(stdout()).url}/completions`;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new IitError("BENCH_FAILED", `${name} did not start in 120 s`);
  });
}

async function startLlamaServer(bin: string, o: { model: string; threads: number; slots: number; ctx: number }) {
  const port = await freePort();
  // Like ours: llama.cpp's default flash attention (auto: on for the CPU), 512-token batches, one KV cache of ctx
  // tokens per slot, no prompt cache.
  const args = ["-m", o.model, "--host", "127.0.0.1", "--port", String(port), "-ngl", "0"];
  args.push("-t", String(o.threads), "-tb", String(o.threads), "-np", String(o.slots), "-c", String(o.ctx * o.slots));
  args.push("-b", "512", "-ub", "512", "-fa", "auto", "--cache-ram", "0", "--no-webui");
  return spawnServer("llama-server", bin, args, async () => {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 1200; i++) {
      try {
        const r = await fetch(`${base}/health`);
        if (r.ok) return `${base}/v1/completions`;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new IitError("BENCH_FAILED", `llama-server did not become healthy in 120 s`);
  });
}

async function stopServer(s: Running): Promise<void> {
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  const exited = new Promise((r) => s.proc.once("exit", r));
  s.proc.kill("SIGTERM");
  const timer = setTimeout(() => s.proc.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** driveCompletions against one server; a failure says what that server logged last. */
async function drive(s: Running, o: Omit<Parameters<typeof driveCompletions>[0], "url">) {
  try {
    return await driveCompletions({ ...o, url: s.url });
  } catch (e) {
    const exit = s.proc.exitCode ?? s.proc.signalCode;
    throw new IitError(
      "BENCH_FAILED",
      `${s.name} (${exit === null ? "running" : `exited ${exit}`}): ${(e as Error).message}; its log ends: ${s.stderr().slice(-1500)}`,
      { cause: e },
    );
  }
}

/** Requests per level: at least 2 per client, a whole number per client. */
const requestsAt = (requests: number, c: number) => Math.max(2, Math.ceil(requests / c)) * c;

export async function benchServe(o: BenchServeOptions): Promise<BenchServeResult> {
  const slots = o.parallel ?? 4;
  const ctx = o.contextSize ?? 512;
  const levels = o.concurrency ?? [1, 4, 16];
  const requests = o.requests ?? 48;
  const maxTokens = o.maxTokens ?? 64;
  const rounds = o.rounds ?? 3;
  const rules = o.rules === undefined ? "hewitt2024" : o.rules;
  const modes = o.modes ?? ["complete", "stream"];
  const status = o.onStatus ?? (() => {});
  for (const [flag, v] of [
    ["--parallel", slots],
    ["--context-size", ctx],
    ["--requests", requests],
    ["--max-tokens", maxTokens],
    ["--rounds", rounds],
    ...levels.map((c) => ["--concurrency", c] as const),
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new InvalidOptionError("INVALID_OPTION", `${flag} must be a positive integer, got ${v}`);
  }
  checkLoad(o.load ?? 0);
  const bin = o.llamaServerBin ?? ensureLlamaTool("llama-server", status);

  // The thread count iit would choose for `slots` sequences, given to both servers explicitly.
  const { threads, path } = await (async () => {
    await using m = await loadModel({ model: o.model, threads: o.threads });
    return { threads: m.threadsFor(slots), path: m.path };
  })();
  const opts = { model: path, threads, slots, ctx };
  const servers: Running[] = [];
  const stopAll = () => {
    for (const s of servers) if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
  };
  process.on("exit", stopAll);
  try {
    servers.push(await startIit("iit", opts));
    if (rules) servers.push(await startIit("iit+rules", { ...opts, rules }));
    servers.push(await startLlamaServer(bin, opts));
    status(
      `servers up (threads ${threads}, ${slots} slots, ctx ${ctx} per slot): ${servers.map((s) => s.name).join(", ")}`,
    );

    const body = (stream: boolean) => (i: number) => ({
      prompt: SERVE_PROMPTS[i % SERVE_PROMPTS.length],
      max_tokens: maxTokens,
      temperature: 0,
      ignore_eos: true,
      // llama-server would otherwise reuse the KV of a slot's previous prompt when the same prompt comes back.
      cache_prompt: false,
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    });
    // Warm-up: every slot once, both modes.
    for (const s of servers)
      for (const m of modes)
        await drive(s, {
          concurrency: slots,
          requests: slots,
          stream: m === "stream",
          body: body(m === "stream"),
        });

    await using busy = await startLoad(o.load ?? 0);
    const load0 = loadavg()[0];
    type Sample = {
      rps: number;
      p50: number;
      p99: number;
      ttft50?: number;
      ttft99?: number;
      tokens: number[];
      retries: number;
    };
    const samples = new Map<string, Sample[]>();
    for (let r = 0; r < rounds; r++) {
      // Ours first in even rounds, llama-server first in odd ones.
      const order = r % 2 === 0 ? servers : [...servers].reverse();
      for (const mode of modes) {
        for (const c of levels) {
          const n = requestsAt(requests, c);
          for (const s of order) {
            const run = await drive(s, {
              concurrency: c,
              requests: n,
              stream: mode === "stream",
              body: body(mode === "stream"),
            });
            const x: Sample = {
              rps: n / run.seconds,
              p50: percentile(run.latencyMs, 0.5),
              p99: percentile(run.latencyMs, 0.99),
              tokens: run.completionTokens,
              retries: run.retries,
              ...(mode === "stream"
                ? { ttft50: percentile(run.ttftMs, 0.5), ttft99: percentile(run.ttftMs, 0.99) }
                : {}),
            };
            const key = `${mode}/${c}/${s.name}`;
            samples.set(key, [...(samples.get(key) ?? []), x]);
            status(
              `round ${r + 1}/${rounds} ${mode} c${c} ${s.name}: ${x.rps.toFixed(2)} req/s, p50 ${x.p50.toFixed(0)} ms, p99 ${x.p99.toFixed(0)} ms` +
                (x.ttft50 !== undefined ? `, ttft p50 ${x.ttft50.toFixed(0)} ms` : ""),
            );
          }
        }
      }
    }
    const load1 = loadavg()[0];

    const out: ServeLevel[] = [];
    for (const mode of modes) {
      for (const c of levels) {
        const level: ServeLevel = { mode, concurrency: c, requests: requestsAt(requests, c), servers: {}, ratios: {} };
        const peer = samples.get(`${mode}/${c}/llama-server`)!;
        for (const s of servers) {
          const xs = samples.get(`${mode}/${c}/${s.name}`)!;
          const tokens = xs.flatMap((x) => x.tokens);
          level.servers[s.name] = {
            rps: spread(xs.map((x) => x.rps)),
            p50_ms: spread(xs.map((x) => x.p50)),
            p99_ms: spread(xs.map((x) => x.p99)),
            ...(mode === "stream"
              ? { ttft_p50_ms: spread(xs.map((x) => x.ttft50!)), ttft_p99_ms: spread(xs.map((x) => x.ttft99!)) }
              : {}),
            completion_tokens: { min: Math.min(...tokens), max: Math.max(...tokens) },
            retries: xs.reduce((n, x) => n + x.retries, 0),
          };
          if (s.name === "llama-server") continue;
          level.ratios[s.name] = {
            rps: spread(xs.map((x, i) => x.rps / peer[i].rps)),
            p99: spread(xs.map((x, i) => x.p99 / peer[i].p99)),
            ...(mode === "stream" ? { ttft_p50: spread(xs.map((x, i) => x.ttft50! / peer[i].ttft50!)) } : {}),
          };
        }
        out.push(level);
      }
    }
    return {
      model: path,
      cpu: benchCpu(),
      threads,
      slots,
      ctx,
      max_tokens: maxTokens,
      rounds,
      load: busy.n,
      loadavg: [load0, load1],
      rules,
      levels: out,
      targets: { rps_ratio_min: 1, p99_ratio_max: 1.2 },
    };
  } finally {
    await Promise.all(servers.map(stopServer));
    process.off("exit", stopAll);
  }
}
