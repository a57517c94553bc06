// `iit bench serve`: iit serve against llama-server, and its table of ratios per client count.
import { writeFileSync } from "node:fs";
import { Command } from "commander";
import { benchServe, type BenchServeResult, type ServeMode } from "../../bench/benchServe.js";
import { formatCpu } from "../../bench/cpuInfo.js";
import { LOAD_HELP } from "../modelOptions.js";
import { collect, intOption, printJson } from "../util.js";
import { benchStatus } from "../benchOutput.js";

/** One line per mode, concurrency and server, then the targets with ours ÷ llama-server per round. */
export function serveTable(r: BenchServeResult): string {
  const f = (q: { min: number; median: number; max: number } | undefined, d = 0) =>
    q ? `${q.min.toFixed(d)} / ${q.median.toFixed(d)} / ${q.max.toFixed(d)}` : "";
  const lines = [
    `${r.model}: ${r.threads} threads, ${r.slots} slots, ctx ${r.ctx} per slot, ${r.max_tokens}-token greedy completions (ignore_eos), ` +
      `${r.rounds} alternated rounds, ${r.load} busy processes beside; load average ${r.loadavg[0].toFixed(1)} → ${r.loadavg[1].toFixed(1)}`,
    "min / median / max over the rounds:",
    "| mode | clients | server | req/s | p50 ms | p99 ms | TTFT p50 ms | req/s ÷ llama-server | p99 ÷ llama-server | resent |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  const targets: string[] = [];
  for (const l of r.levels) {
    for (const [name, s] of Object.entries(l.servers)) {
      const q = l.ratios[name as "iit"];
      lines.push(
        `| ${l.mode} | ${l.concurrency} | ${name} | ${f(s.rps, 2)} | ${f(s.p50_ms)} | ${f(s.p99_ms)} | ${f(s.ttft_p50_ms)} | ${f(q?.rps, 3)} | ${f(q?.p99, 3)} | ${s.retries} |`,
      );
    }
    for (const [name, q] of Object.entries(l.ratios)) {
      targets.push(
        `target ${l.mode} c${l.concurrency} ${name}: req/s ÷ llama-server ${f(q.rps, 3)} (≥ ${r.targets.rps_ratio_min}: ${q.rps.median >= r.targets.rps_ratio_min ? "met" : "missed"}), ` +
          `p99 ÷ llama-server ${f(q.p99, 3)} (≤ ${r.targets.p99_ratio_max}: ${q.p99.median <= r.targets.p99_ratio_max ? "met" : "missed"})`,
      );
    }
  }
  return `${formatCpu(r.cpu)}${[...lines, ...targets].join("\n")}\n`;
}

export const benchServeCommand = new Command("serve")
  .description(
    "iit serve (with and without rules) vs llama-server (same pinned commit, model, threads, slots, context): req/s, p50/p99 latency and streaming time to first token at several client counts",
  )
  .requiredOption("-m, --model <path>", "GGUF model")
  .option(
    "-t, --threads <n>",
    "threads of both servers (default: what iit chooses for the model)",
    intOption("--threads"),
  )
  .option("--parallel <n>", "slots: sequences decoded together in each server", intOption("--parallel"), 4)
  .option("--context-size <n>", "context per slot", intOption("--context-size"), 512)
  .option(
    "--concurrency <n>",
    "closed-loop clients (repeatable; default 1, 4 and 16)",
    collect(intOption("--concurrency")),
  )
  .option("--requests <n>", "requests per client count, server and round", intOption("--requests"), 48)
  .option("-n, --max-tokens <n>", "tokens per completion", intOption("--max-tokens"), 64)
  .option("--rounds <n>", "alternated rounds (min / median / max reported)", intOption("--rounds"), 3)
  .option("--rules <name|file>", "rules of the iit+rules server; `none` leaves it out", "hewitt2024")
  .option("--no-stream", "only plain completions (no streamed requests, no time to first token)")
  .option("--llama-server-bin <path>", "a llama-server binary (default: built once from the pinned source)")
  .option("--load <n>", LOAD_HELP, intOption("--load"), 0)
  .option("--markdown <file>", "also write the table as markdown")
  .option("--json", "print one JSON object on stdout")
  .action(
    async (o: {
      model: string;
      threads?: number;
      parallel: number;
      contextSize: number;
      concurrency?: number[];
      requests: number;
      maxTokens: number;
      rounds: number;
      rules: string;
      stream: boolean;
      llamaServerBin?: string;
      load: number;
      markdown?: string;
      json?: boolean;
    }) => {
      const r = await benchServe({
        model: o.model,
        threads: o.threads,
        parallel: o.parallel,
        contextSize: o.contextSize,
        concurrency: o.concurrency ?? [1, 4, 16],
        requests: o.requests,
        maxTokens: o.maxTokens,
        rounds: o.rounds,
        rules: o.rules === "none" ? null : o.rules,
        modes: (o.stream ? ["complete", "stream"] : ["complete"]) as ServeMode[],
        llamaServerBin: o.llamaServerBin,
        load: o.load,
        onStatus: benchStatus,
      });
      if (o.markdown) writeFileSync(o.markdown, serveTable(r));
      if (o.json) printJson(r);
      else process.stdout.write(serveTable(r));
    },
  );
