// `iit bench lab`: the lab's targets — every finding's verdict on several world seeds, and the time
// of pretraining and of the whole lab on this machine. A script, not a test: it takes minutes per world.
import { existsSync } from "node:fs";
import { benchCpu } from "./cpuInfo.js";
import type { Finding } from "../lab/results.js";
import { labPretrain } from "../lab/pretrain.js";
import { labBasePath, runLab } from "../experiment/runLab.js";

export interface BenchLabOptions {
  worlds: number[];
  threads?: number;
  /** Pretrain every world's base again (timed) even when one exists. */
  pretrain?: boolean;
  onStatus?: (m: string) => void;
}

export interface BenchLabWorld {
  world: number;
  pretrain_seconds: number | null;
  lab_seconds: number;
  findings: Finding[];
}

export async function benchLab(opts: BenchLabOptions) {
  const cpu = benchCpu();
  const worlds: BenchLabWorld[] = [];
  for (const world of opts.worlds) {
    const base = labBasePath(world);
    let pretrain: number | null = null;
    if (opts.pretrain || !existsSync(base)) {
      opts.onStatus?.(`world ${world}: pretraining ${base}`);
      pretrain = (await labPretrain({ seed: world, output: base, threads: opts.threads })).seconds;
    }
    opts.onStatus?.(`world ${world}: the lab`);
    const t0 = performance.now();
    const { run } = await runLab({ world, base, output: `runs/bench-lab-world-${world}`, threads: opts.threads });
    const seconds = (performance.now() - t0) / 1000;
    worlds.push({ world, pretrain_seconds: pretrain, lab_seconds: seconds, findings: run.results?.findings ?? [] });
  }
  const ids = [...new Set(worlds.flatMap((w) => w.findings.map((f) => f.id)))];
  const robust = Object.fromEntries(
    ids.map((id) => [id, worlds.every((w) => w.findings.find((f) => f.id === id)?.reproduced === true)]),
  );
  return { cpu, worlds, robust, targets: { lab_seconds: 480, pretrain_seconds: 360 } };
}
