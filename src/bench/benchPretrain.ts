// `iit bench pretrain`: the lab's pretraining rate against this machine's matrix-product rate at the
// same shapes (issue 26 item 2). Every forward product (MUL_MAT) of one training window is timed by
// ggml's own `test-backend-ops perf` (pinned llama.cpp, pristine), and the lab's recipe trains a fresh
// base for a few hundred windows; both per CPU second, which a shared machine's scheduler does not skew.
// The FLOP per token also counts the two OUT_PRODs (weight and input gradients) of each product.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { IitError } from "../errors.js";
import { labPretrain } from "../lab/pretrain.js";
import { loadModel } from "../model/Model.js";
import { type ModelShape, modelShape } from "../model/memory.js";
import { type BenchCpu, benchCpu } from "./cpuInfo.js";
import { ensureLlamaTool } from "./llamaTools.js";
import { alternate, type Spread, spread } from "./rounds.js";

/** One distinct matrix product of a training window: ggml's op, its sizes, and how often a window runs it. */
export interface MatProduct {
  /** A name without spaces (test-backend-ops echoes it), e.g. "fwd_ffn_up". */
  name: string;
  op: "MUL_MAT" | "OUT_PROD";
  /** dst = [m, n] (× batch): m·n dot products of length k. */
  m: number;
  n: number;
  k: number;
  batch: number;
  /** Whether src1 is a transposed view (the input gradient's out_prod reads the output gradient transposed). */
  transposedSrc1: boolean;
  count: number;
}

export const flopOf = (p: MatProduct) => 2 * p.m * p.n * p.k * p.batch;

/**
 * The matrix products of one training window of a llama (no flash attention, as training runs): each
 * forward mul_mat(a [k, m], b [k, n]) → [m, n], then in the backward pass ggml's OUT_PROD for a's gradient
 * (b × grad: dst [k, m] over n products) and for b's (a × gradᵀ: dst [k, n] over m products).
 * The embedding lookup is no product; the attention products are per head (batch).
 */
export function trainingProducts(s: ModelShape, nCtx: number): MatProduct[] {
  const d = s.nEmbd;
  const hd = d / s.nHead;
  const L = s.nLayer;
  const T = nCtx;
  const fwd: { name: string; k: number; m: number; n: number; batch: number; count: number }[] = [
    { name: "attn_q_o", k: d, m: d, n: T, batch: 1, count: 2 * L },
    { name: "attn_k_v", k: d, m: s.nEmbdKv, n: T, batch: 1, count: 2 * L },
    { name: "ffn_gate_up", k: d, m: s.nFf, n: T, batch: 1, count: 2 * L },
    { name: "ffn_down", k: s.nFf, m: d, n: T, batch: 1, count: L },
    { name: "output", k: d, m: s.nVocab, n: T, batch: 1, count: 1 },
    { name: "kq", k: hd, m: T, n: T, batch: s.nHead, count: L },
    { name: "kqv", k: T, m: hd, n: T, batch: s.nHead, count: L },
  ];
  const out: MatProduct[] = [];
  const add = (p: MatProduct) => {
    const same = out.find(
      (q) =>
        q.op === p.op &&
        q.m === p.m &&
        q.n === p.n &&
        q.k === p.k &&
        q.batch === p.batch &&
        q.transposedSrc1 === p.transposedSrc1,
    );
    if (same) same.count += p.count;
    else out.push(p);
  };
  for (const f of fwd) {
    add({ ...f, name: `fwd_${f.name}`, op: "MUL_MAT", transposedSrc1: false });
    // a's gradient: out_prod(b [k, n], grad [m, n]) → [k, m]
    add({
      name: `grad_w_${f.name}`,
      op: "OUT_PROD",
      m: f.k,
      n: f.m,
      k: f.n,
      batch: f.batch,
      count: f.count,
      transposedSrc1: false,
    });
    // b's gradient: out_prod(a [k, m], gradᵀ [n, m]) → [k, n]
    add({
      name: `grad_x_${f.name}`,
      op: "OUT_PROD",
      m: f.k,
      n: f.n,
      k: f.m,
      batch: f.batch,
      count: f.count,
      transposedSrc1: true,
    });
  }
  return out;
}

/** Matrix FLOP per trained token: forward and both backward products of a window, over its tokens. */
export const flopPerToken = (ps: MatProduct[], nCtx: number) => ps.reduce((s, p) => s + flopOf(p) * p.count, 0) / nCtx;

// ggml_op values of the pinned ggml (ggml.h), as test-backend-ops' --test-file reads them.
const GGML_OP = { MUL_MAT: 29, OUT_PROD: 31 } as const;

/**
 * One line of a test-backend-ops `--test-file` (the format test-export-graph-ops writes): op, type, dst
 * ne[4], op params, then each source's type, ne[4] and nb[4] in bytes, then a name. F32 throughout.
 */
export function testFileLine(p: MatProduct): string {
  const f = 4;
  const src = (ne: number[], nb: number[]) => `0 ${ne.join(" ")} ${nb.join(" ")}`;
  const contiguous = (ne: number[]) => [f, f * ne[0], f * ne[0] * ne[1], f * ne[0] * ne[1] * ne[2]];
  let dst: number[];
  let s0: string;
  let s1: string;
  if (p.op === "MUL_MAT") {
    // dst [m, n, batch] = src0 [k, m, batch] · src1 [k, n, batch]
    dst = [p.m, p.n, p.batch, 1];
    const a = [p.k, p.m, p.batch, 1];
    const b = [p.k, p.n, p.batch, 1];
    s0 = src(a, contiguous(a));
    s1 = src(b, contiguous(b));
  } else {
    // out_prod: dst [m, n, batch] = src0 [m, k, batch] ⊗ src1 [n, k, batch], summed over k
    dst = [p.m, p.n, p.batch, 1];
    const a = [p.m, p.k, p.batch, 1];
    const b = [p.n, p.k, p.batch, 1];
    s0 = src(a, contiguous(a));
    // transposed: a view of a [k, n] tensor, so consecutive src1 elements are k floats apart
    s1 = p.transposedSrc1 ? src(b, [f * p.k, f, f * p.n * p.k, f * p.n * p.k * p.batch]) : src(b, contiguous(b));
  }
  return `${GGML_OP[p.op]} 0 ${dst.join(" ")} 0 2 ${s0} ${s1} ${p.name}`;
}

/** Runs and microseconds per run of each named case in test-backend-ops' console output ("name=X,…): N runs - T us/run"). */
export function parsePerfOutput(stdout: string): Map<string, { runs: number; us: number }> {
  const out = new Map<string, { runs: number; us: number }>();
  for (const m of stdout.matchAll(/\(name=([^,)]+)[^\n]*?:\s+(\d+) runs -\s+([\d.]+) us\/run/g)) {
    out.set(m[1], { runs: Number(m[2]), us: Number(m[3]) });
  }
  return out;
}

export interface ProductRate extends MatProduct {
  flop: number;
  /** GFLOP/s per CPU second of test-backend-ops (its runs × FLOP ÷ the process's user + system time). */
  gflops: number;
  /** GFLOP/s by its own wall clock, which other work on the machine slows down. */
  gflops_wall: number;
}

export interface MatrixPeak {
  /** test-backend-ops' thread count (it uses max(1, cores / 2)). */
  threads: number;
  /** The forward products (MUL_MAT) of a window, each timed by test-backend-ops in a process of its own. */
  products: ProductRate[];
  /** The best of their rates, GFLOP per CPU second: the peak pretraining is compared with. */
  peak_gflops: number;
  /**
   * Tokens per CPU second if every product of a window (the backward OUT_PRODs too, at the rate of their
   * forward shape) ran at these rates and nothing else ran: the matrix-bound rate.
   */
  matrix_bound_tokens_per_second: number;
}

/** Times each forward product of `ps` with test-backend-ops perf on the CPU backend, one process each. */
export function measureProducts(ps: MatProduct[], nCtx: number, bin: string, dir: string): MatrixPeak {
  const products: ProductRate[] = [];
  for (const p of ps.filter((q) => q.op === "MUL_MAT")) {
    const file = join(dir, `${p.name}.txt`);
    writeFileSync(file, `${testFileLine(p)}\n`);
    const r = spawnSync("/usr/bin/time", ["-f", "IIT_CPU_S=%U %S", bin, "perf", "-b", "CPU", "--test-file", file], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new IitError("BENCH_FAILED", `test-backend-ops exited with ${r.status}: ${r.stderr}`);
    const t = parsePerfOutput(r.stdout).get(p.name);
    const cpu = /IIT_CPU_S=([\d.]+) ([\d.]+)/.exec(r.stderr);
    if (!t || !cpu) throw new IitError("BENCH_FAILED", `test-backend-ops printed no time for ${p.name}`);
    // the CPU time includes its setup (backend, tensors, one warm-up run): the rate is a slight underestimate
    const cpuSeconds = Number(cpu[1]) + Number(cpu[2]);
    products.push({
      ...p,
      flop: flopOf(p),
      gflops: (t.runs * flopOf(p)) / cpuSeconds / 1e9,
      gflops_wall: flopOf(p) / t.us / 1e3,
    });
  }
  // a backward product runs at the rate of the forward product it differentiates (same FLOP, same sizes)
  const rateOf = (q: MatProduct) =>
    products.find((f) => q.name.endsWith(f.name.slice("fwd_".length)))?.gflops ??
    Math.max(...products.map((f) => f.gflops));
  const windowSeconds = ps.reduce((s, q) => s + (flopOf(q) * q.count) / (rateOf(q) * 1e9), 0);
  return {
    threads: Math.max(1, Math.floor(availableParallelism() / 2)),
    products,
    peak_gflops: Math.max(...products.map((f) => f.gflops)),
    matrix_bound_tokens_per_second: nCtx / windowSeconds,
  };
}

export interface BenchPretrainOptions {
  /** A base of the lab's shape (read for its dimensions only). Defaults to models/lab-base.gguf. */
  model?: string;
  /** Pretraining tokens of each timed run (the lab's recipe, world 1). Defaults to 65,536 (256 windows). */
  tokens?: number;
  threads?: number;
  /** Alternated rounds of the peak measurement and the pretraining run. Defaults to 3. */
  rounds?: number;
  testBackendOpsBin?: string;
  onStatus?: (m: string) => void;
}

export interface BenchPretrainResult {
  cpu: BenchCpu;
  model: string;
  n_ctx: number;
  threads: number;
  rounds: number;
  /** Matrix FLOP per trained token (forward + backward products, attention included). */
  flop_per_token: number;
  /** The median round's per-product rates. */
  matrix: MatrixPeak;
  peak_gflops: Spread;
  /** Pretraining tokens per CPU second (the process's, from the start of training to its end) and the matrix GFLOP/s that is. */
  tokens_per_cpu_second: Spread;
  gflops: Spread;
  /** Pretraining tokens/s by the training loop's own wall clock (slowed by other work on the machine). */
  tokens_per_second: Spread;
  /** Pretraining GFLOP per CPU second ÷ the same round's peak (target ≥ 0.5), and its tokens ÷ the matrix-bound rate. */
  fraction_of_peak: Spread;
  fraction_of_matrix_bound: Spread;
}

export async function benchPretrain(opts: BenchPretrainOptions): Promise<BenchPretrainResult> {
  const cpu = benchCpu();
  const status = opts.onStatus ?? (() => {});
  const model = opts.model ?? "models/lab-base.gguf";
  const nCtx = 256;
  let shape: ModelShape;
  {
    await using m = await loadModel({ model, vocabOnly: true });
    shape = modelShape(m.meta);
  }
  const ps = trainingProducts(shape, nCtx);
  const fpt = flopPerToken(ps, nCtx);
  const bin = opts.testBackendOpsBin ?? ensureLlamaTool("test-backend-ops", status);
  const dir = mkdtempSync(join(tmpdir(), "iit-bench-pretrain-"));
  try {
    const rounds: { peak: MatrixPeak; tps: number; tpcs: number; threads: number }[] = [];
    for (let r = 0; r < (opts.rounds ?? 3); r++) {
      const [run, peak] = await alternate(
        r,
        async () => {
          status(`round ${r + 1}: lab pretraining, ${opts.tokens ?? 65536} tokens`);
          let cpu0: NodeJS.CpuUsage | undefined;
          const output = join(dir, `base-${r}.gguf`);
          const res = await labPretrain({
            seed: 1,
            output,
            tokens: opts.tokens ?? 65536,
            ...(opts.threads === undefined ? {} : { threads: opts.threads }),
            // CPU time from here on: the model's training (data windowing and the 1% validation included)
            onStage: (stage) => {
              if (stage.startsWith("pretraining")) cpu0 = process.cpuUsage();
            },
          });
          const used = process.cpuUsage(cpu0);
          const log = JSON.parse(readFileSync(`${output}.train.json`, "utf8")) as { windows: { windows: number } };
          return {
            tps: res.tokens_per_second,
            tpcs: (log.windows.windows * nCtx) / ((used.user + used.system) / 1e6),
            threads: res.threads ?? 1,
          };
        },
        () => {
          status(`round ${r + 1}: test-backend-ops perf at ${ps.length} shapes`);
          return measureProducts(ps, nCtx, bin, dir);
        },
      );
      rounds.push({ peak, ...run });
    }
    const frac = spread(rounds.map((x) => (x.tpcs * fpt) / 1e9 / x.peak.peak_gflops));
    const mid = rounds.find((x) => (x.tpcs * fpt) / 1e9 / x.peak.peak_gflops === frac.median)!;
    return {
      cpu,
      model,
      n_ctx: nCtx,
      threads: rounds[0].threads,
      rounds: rounds.length,
      flop_per_token: fpt,
      matrix: mid.peak,
      peak_gflops: spread(rounds.map((x) => x.peak.peak_gflops)),
      tokens_per_cpu_second: spread(rounds.map((x) => x.tpcs)),
      gflops: spread(rounds.map((x) => (x.tpcs * fpt) / 1e9)),
      tokens_per_second: spread(rounds.map((x) => x.tps)),
      fraction_of_peak: frac,
      fraction_of_matrix_bound: spread(rounds.map((x) => x.tpcs / x.peak.matrix_bound_tokens_per_second)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
