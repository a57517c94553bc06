// The CPU a benchmark ran on: its model and the instruction sets ggml's CPU kernels choose between, plus
// what the loaded ggml CPU backend was compiled to use. Ratios against peers differ between CPUs (issue
// 26: training 1.15× llama-finetune on one x86, 0.65× on an AVX-512 EPYC), so every bench prints it.
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { loadAddon } from "../bindings/loadAddon.js";

/** /proc/cpuinfo flags that decide which of ggml's x86 code paths can run (vector width, FMA, dot products). */
export const ISA_FLAGS = [
  "avx",
  "avx2",
  "fma",
  "f16c",
  "avx_vnni",
  "avx512f",
  "avx512bw",
  "avx512vl",
  "avx512_vnni",
  "avx512_bf16",
  "amx_tile",
  "amx_int8",
  "amx_bf16",
] as const;

export interface BenchCpu {
  /** "model name" of /proc/cpuinfo (os.cpus() elsewhere). */
  model: string;
  /** Logical CPUs this process may use. */
  logical_cpus: number;
  /** Which of ISA_FLAGS the CPU reports (arm's "Features" line is not parsed: empty there). */
  isa: string[];
  /** Features the ggml CPU backend of the loaded addon was built with (llama_print_system_info, "= 1" ones). */
  ggml: string[];
  /** The 1, 5 and 15 minute load averages when the bench started: other work on the machine skews every rate. */
  load_average: number[];
}

/** Model name and the ISA flags of the first processor in a /proc/cpuinfo text. */
export function parseCpuInfo(text: string): { model: string; isa: string[] } {
  const first = text.split(/\n\s*\n/)[0] ?? "";
  const field = (name: string) => {
    const m = new RegExp(`^${name}\\s*:\\s*(.*)$`, "m").exec(first);
    return m ? m[1].trim() : "";
  };
  const flags = new Set(field("flags").split(/\s+/).filter(Boolean));
  return { model: field("model name"), isa: ISA_FLAGS.filter((f) => flags.has(f)) };
}

/** The features llama_print_system_info() lists as on, e.g. "CPU : SSE3 = 1 | AVX512 = 1 | … |" → ["SSE3", "AVX512"]. */
export function parseGgmlFeatures(systemInfo: string): string[] {
  const out: string[] = [];
  for (const m of systemInfo.matchAll(/([A-Za-z0-9_]+)\s*=\s*([^\s|]+)/g)) {
    if (m[2] !== "0" && !out.includes(m[1])) out.push(m[2] === "1" ? m[1] : `${m[1]}=${m[2]}`);
  }
  return out;
}

export function benchCpu(): BenchCpu {
  let parsed = { model: "", isa: [] as string[] };
  try {
    parsed = parseCpuInfo(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    // not Linux: the model name from Node, no flags
  }
  return {
    model: parsed.model || cpus()[0]?.model || "unknown",
    logical_cpus: availableParallelism(),
    isa: parsed.isa,
    ggml: parseGgmlFeatures(loadAddon().systemInfo().llamaSystemInfo),
    load_average: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** One line for a bench's text output. */
export const formatCpu = (c: BenchCpu) =>
  `CPU: ${c.model}, ${c.logical_cpus} logical; ${c.isa.join(" ") || "no x86 flags read"}; ggml CPU backend: ${c.ggml.join(" ") || "?"}; load average ${c.load_average.join(" ")}\n`;
