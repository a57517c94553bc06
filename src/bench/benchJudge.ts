import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type BenchCpu, benchCpu } from "./cpuInfo.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HttpJudge } from "../eval/judge/http.js";
import { LocalJudge } from "../eval/judge/local.js";
import { runJudge } from "../eval/judge/runJudge.js";
import { loadModel } from "../model/Model.js";
import { startServer } from "../serve/server.js";

export interface BenchJudgeOptions {
  /** The judge GGUF (local, and behind `iit serve`). */
  model: string;
  /** Model outputs and reference outputs to pair; defaults to synthetic pairs of realistic length. */
  outputs?: string;
  reference?: string;
  /** Pairs per measurement. Defaults to `16`. */
  pairs?: number;
  threads?: number;
  onStatus?: (msg: string) => void;
}

export interface BenchJudgeResult {
  /** The CPU, its ISA flags, ggml's CPU features and the load average at the start. */
  cpu: BenchCpu;
  model: string;
  threads: number;
  pairs: number;
  /** Judgements per second, local GGUF judge (one scoring pass per judgement). */
  local_jps: number;
  /** Judgements per second through `iit serve` on loopback, by client concurrency. */
  http_jps: Record<string, number>;
  /** Largest batch the server formed at each concurrency. */
  http_max_batch: Record<string, number>;
  /** Wall time of a re-run whose every judgement is cached, and its judge calls (0). */
  cached_rerun_seconds: number;
  cached_rerun_calls: number;
}

const STORY =
  "Once upon a time there was a little girl named Lily. She loved to play outside in the park with her friends. " +
  "One day she found a shiny red ball under a big tree. She asked everyone if it was theirs, and a boy named Tom " +
  "said it was his. Lily gave it back and Tom smiled. They played together until the sun went down, and then they went home happy. ";

/** Synthetic AlpacaEval-shaped files: n instructions, two outputs of different lengths each. */
function syntheticFiles(dir: string, n: number): { outputs: string; reference: string } {
  const rows = (gen: string, f: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => ({
      instruction: `Write a short story for children, number ${i + 1}.`,
      output: f(i),
      generator: gen,
    }));
  const outputs = join(dir, "model.json");
  const reference = join(dir, "reference.json");
  writeFileSync(outputs, JSON.stringify(rows("model", (i) => STORY.slice(0, 200 + ((i * 37) % 300)))));
  writeFileSync(
    reference,
    JSON.stringify(rows("reference", (i) => STORY.repeat(2).slice(i % 50, 400 + ((i * 53) % 300)))),
  );
  return { outputs, reference };
}

/** Judgements/s with a local judge, with `iit serve` over HTTP at concurrency 1 and 4, and a fully cached re-run. */
export async function benchJudge(opts: BenchJudgeOptions): Promise<BenchJudgeResult> {
  const cpu = benchCpu();
  const n = opts.pairs ?? 16;
  const status = opts.onStatus ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "iit-bench-judge-"));
  try {
    const files =
      opts.outputs && opts.reference ? { outputs: opts.outputs, reference: opts.reference } : syntheticFiles(dir, n);
    await using model = await loadModel({ model: opts.model, threads: opts.threads });
    const threads = model.threadsFor(1);
    const common = { ...files, limit: n, cache: false as const };

    const local = new LocalJudge(model);
    await runJudge({ ...common, limit: 1, judge: local }); // warm-up: context creation, label ids
    const cache = join(dir, "local.cache.jsonl");
    const l = await runJudge({ ...common, judge: local, cache });
    const local_jps = l.summary.judge_calls / l.summary.seconds;
    status(`local judge: ${local_jps.toFixed(2)} judgements/s (${l.summary.judge_calls} calls)`);
    const again = await runJudge({ ...common, judge: local, cache });
    status(`cached re-run: ${(again.summary.seconds * 1000).toFixed(1)} ms, ${again.summary.judge_calls} judge calls`);

    const http_jps: Record<string, number> = {};
    const http_max_batch: Record<string, number> = {};
    const server = await startServer({ model, port: 0, parallel: 4 });
    try {
      for (const c of [1, 4]) {
        const judge = new HttpJudge({ baseUrl: server.url, model: server.modelId, concurrency: c, retries: 0 });
        await runJudge({ ...common, limit: 1, judge });
        server.engine.maxBatch = 0;
        const h = await runJudge({ ...common, judge });
        http_jps[String(c)] = h.summary.judge_calls / h.summary.seconds;
        http_max_batch[String(c)] = server.engine.maxBatch;
        status(
          `HTTP concurrency ${c}: ${http_jps[String(c)].toFixed(2)} judgements/s (batches up to ${server.engine.maxBatch})`,
        );
      }
    } finally {
      await server.close();
    }
    return {
      cpu,
      model: model.path,
      threads,
      pairs: l.summary.pairs,
      local_jps,
      http_jps,
      http_max_batch,
      cached_rerun_seconds: again.summary.seconds,
      cached_rerun_calls: again.summary.judge_calls,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
