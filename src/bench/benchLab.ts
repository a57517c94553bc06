// `iit bench lab`: the lab's targets — every finding's verdict on several world seeds ("k of N"), the rule
// arms per world, and the time of pretraining and of the whole lab on this machine. A script, not a test:
// it takes minutes per world. Resumable: bases are cached in models/, and each world's lab is an
// experiment in runs/bench-lab-world-N whose finished steps are never rerun, so a killed bench reruns
// only what is missing (an interrupted pretraining continues from its checkpoint).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Finding, LabRow } from "../lab/results.js";
import { labPretrain } from "../lab/pretrain.js";
import { rulesUsed } from "../lab/ruleUse.js";
import { labBasePath, type RunLabOptions, runLab, TRANSFER_ARM } from "../experiment/runLab.js";
import { loadRules } from "../rules/loadRules.js";
import { type BenchCpu, benchCpu } from "./cpuInfo.js";
import {
  benchLabMarkdown,
  summarizeFindings,
  type BenchLabTimes,
  type FindingSummary,
  type RuleArmStrict,
  type WorldRules,
  worldsSpec,
} from "./labWorlds.js";

export interface BenchLabOptions {
  worlds: number[];
  threads?: number;
  /** Pretrain every world's base again (timed) even when one exists. */
  pretrain?: boolean;
  /** Where each world's lab runs: `${outputPrefix}-world-N`. Default runs/bench-lab. */
  outputPrefix?: string;
  signal?: AbortSignal;
  onStatus?: (m: string) => void;
  /** Each world's lab steps as they start and finish (as `iit lab` shows them). */
  onEvent?: RunLabOptions["onEvent"];
}

export interface BenchLabWorld extends BenchLabTimes {
  output: string;
  /** Null when the world's lab did not finish (then `error` says why). */
  findings: Finding[] | null;
  rules: WorldRules;
  error?: { code: string; message: string };
}

export interface BenchLabResult {
  cpu: BenchCpu;
  worlds: BenchLabWorld[];
  findings: FindingSummary[];
  /** Per finding: reproduced on every world. */
  robust: Record<string, boolean>;
  aborted: boolean;
  markdown: string;
  targets: { lab_seconds: number; pretrain_seconds: number; worlds_reproduced: string };
}

const armStrict = (rows: LabRow[], arm: string): RuleArmStrict | null => {
  const r = rows.find((x) => x.arm === arm);
  return r?.seeds.length ? { strict: r.stats.strict.mean, lo: r.strict_ci.lo, hi: r.strict_ci.hi } : null;
};

type Manifest = { outputs: Record<string, string>; result: Record<string, unknown>; seconds: number };
const manifestOf = (dir: string): Manifest | null =>
  existsSync(join(dir, "step.json")) ? (JSON.parse(readFileSync(join(dir, "step.json"), "utf8")) as Manifest) : null;

export async function benchLab(opts: BenchLabOptions): Promise<BenchLabResult> {
  const cpu = benchCpu();
  const worlds: BenchLabWorld[] = [];
  let aborted = false;
  for (const world of opts.worlds) {
    if (opts.signal?.aborted) {
      aborted = true;
      break;
    }
    const base = labBasePath(world);
    const output = `${opts.outputPrefix ?? "runs/bench-lab"}-world-${world}`;
    const entry: BenchLabWorld = {
      world,
      output,
      pretrain_seconds: null,
      lab_seconds: null,
      steps_seconds: null,
      executed: 0,
      cached: 0,
      findings: null,
      rules: {
        world,
        fitted: null,
        fit_dev: null,
        fit_seconds: null,
        fit_rules_used: null,
        fit_pruned: null,
        fit_dropped: null,
        transfer: null,
        hand: null,
      },
    };
    worlds.push(entry);
    try {
      if (opts.pretrain || !existsSync(base)) {
        opts.onStatus?.(`world ${world}: pretraining ${base}`);
        entry.pretrain_seconds = (
          await labPretrain({ seed: world, output: base, threads: opts.threads, signal: opts.signal })
        ).seconds;
      }
      opts.onStatus?.(`world ${world}: the lab (${output})`);
      const t0 = performance.now();
      const { run } = await runLab({
        world,
        base,
        output,
        threads: opts.threads,
        signal: opts.signal,
        onEvent: opts.onEvent,
      });
      entry.lab_seconds = (performance.now() - t0) / 1000;
      entry.executed = run.executed.length;
      entry.cached = run.cached.length;
      const manifests = run.steps.map((s) => ({ s, m: manifestOf(s.dir) }));
      entry.steps_seconds = manifests.every((x) => x.m) ? manifests.reduce((a, x) => a + x.m!.seconds, 0) : null;
      if (run.aborted) {
        aborted = true;
        break;
      }
      entry.findings = run.results?.findings ?? null;
      const rows = run.results?.lab?.rows ?? [];
      const fit = manifests.find((x) => x.s.kind === "fit" && x.m);
      entry.rules = {
        world,
        fitted: armStrict(rows, "rules"),
        fit_dev: (fit?.m?.result.dev as { score?: number } | undefined)?.score ?? null,
        fit_seconds: (fit?.m?.result.fit_seconds as number | undefined) ?? null,
        fit_rules_used: fit ? rulesUsed(loadRules(join(fit.s.dir, fit.m!.outputs.rules))) : null,
        fit_pruned: (fit?.m?.result.pruned as string[] | undefined) ?? null,
        fit_dropped: (fit?.m?.result.dropped as { rule: string }[] | undefined)?.map((d) => d.rule) ?? null,
        transfer: armStrict(rows, TRANSFER_ARM),
        hand: armStrict(rows, "rules-hand"),
      };
      opts.onStatus?.(
        `world ${world}: ${entry.executed} steps run, ${entry.cached} cached; ${(entry.findings ?? []).map((f) => `${f.id} ${f.reproduced ? "reproduced" : "not reproduced"}`).join(", ")}`,
      );
    } catch (e) {
      if (opts.signal?.aborted) {
        aborted = true;
        break;
      }
      const err = e as Error & { code?: string };
      entry.error = { code: err.code ?? "ERROR", message: err.message };
      opts.onStatus?.(`world ${world}: failed: ${err.message}`);
    }
  }
  const findings = summarizeFindings(worlds);
  const robust = Object.fromEntries(findings.map((f) => [f.id, f.reproduced === f.of]));
  const spec = worldsSpec(opts.worlds);
  return {
    cpu,
    worlds,
    findings,
    robust,
    aborted,
    markdown: benchLabMarkdown(
      findings,
      worlds.map((w) => w.rules),
      worlds,
      `iit bench lab --worlds ${spec}${opts.threads ? ` -t ${opts.threads}` : ""}`,
    ),
    targets: { lab_seconds: 480, pretrain_seconds: 360, worlds_reproduced: "each finding on ≥ 4 of worlds 1–5" },
  };
}
