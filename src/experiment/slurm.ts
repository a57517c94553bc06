// `iit experiment submit --slurm` and `iit experiment status`: the step plan as a Slurm job graph. Each
// step is one job running `iit experiment run CONFIG --only <step>` on the shared output folder, with
// `afterok` edges for the plan's dependencies. What a job did is read back from the step manifests
// (the source of truth); the job records under <output>/slurm/ only say which job to ask Slurm about.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ExperimentError } from "../errors.js";
import { checkInputs, missingInputs } from "./inputs.js";
import type { ExperimentConfig } from "./config.js";
import { FileHasher } from "../util/hash.js";
import { planExperiment } from "./plan.js";
import type { Step } from "./types.js";
import type { SlurmResources } from "./slurmConfig.js";
import { writeJsonAtomic, writeTextAtomic } from "../util/atomicWrite.js";
import { readManifest } from "./store.js";

const run = promisify(execFile);

/** done: finished (cached) · queued/running: a live job · failed: its job ended without finishing it · missing: never submitted. */
export type StepState = "done" | "queued" | "running" | "failed" | "missing";

/** What `submit` remembers of a job (`<output>/slurm/jobs/<step>.json`). */
export interface JobRecord {
  step: string;
  hash: string;
  job: string;
  log: string;
  script: string;
  submitted: string;
}

export interface StepJobStatus {
  id: string;
  kind: string;
  state: StepState;
  /** The step's latest Slurm job (for its current hash), if any. */
  job: string | null;
  /** Slurm's state and reason for that job, e.g. `PENDING (Dependency)`, `CANCELLED`, `gone from the queue`. */
  slurm: string | null;
  log: string | null;
  dir: string;
}

export interface ExperimentStatus {
  experiment: string;
  output: string;
  steps: StepJobStatus[];
  counts: Record<StepState, number>;
}

export interface SubmitOptions {
  /** Print the sbatch scripts; submit nothing. */
  dryRun?: boolean;
  /** Extra sbatch flags for every job (after the config's). */
  sbatch?: string[];
}

export interface SubmitResult {
  experiment: string;
  output: string;
  dryRun: boolean;
  /** Steps submitted now, with their job ids (dry run: placeholders). */
  submitted: {
    step: string;
    job: string;
    after: string[];
    script: string;
    log: string;
    missing?: Record<string, string>;
  }[];
  /** Steps left alone: done, or with a live job already. */
  done: string[];
  live: { step: string; job: string; state: StepState }[];
  /** Jobs cancelled because they could never start (an upstream job failed). */
  cancelled: string[];
}

const slurmDir = (config: ExperimentConfig) => join(config.output, "slurm");
/** A step id as a file name: `rules/s1/judge` -> `rules.s1.judge`. */
export const stepFileName = (id: string) => id.replaceAll("/", ".");

/** The resources of one step: `default`, kind, arm, `arm/kind`, step id; the more specific wins per field. */
export function resourcesFor(s: Step, table: Record<string, SlurmResources> = {}): SlurmResources {
  const keys = ["default", s.kind, s.arm, `${s.arm}/${s.kind}`, s.id];
  const r: SlurmResources = {};
  for (const k of keys)
    if (table[k]) Object.assign(r, Object.fromEntries(Object.entries(table[k]).filter(([, v]) => v !== undefined)));
  return r;
}

const q = (s: string) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** This installation's CLI (dist/cli/main.js, two levels up from src/experiment or dist/experiment). */
function defaultCommand(): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  return `${q(process.execPath)} ${q(join(root, "dist", "cli", "main.js"))}`;
}

/** The sbatch script of one step: resources as #SBATCH lines, then the step itself. */
export function sbatchScript(
  config: ExperimentConfig,
  s: Step,
  after: string[],
  opts: { extra?: string[]; cwd?: string } = {},
): { script: string; log: string } {
  if (!config.source)
    throw new ExperimentError(
      "EXPERIMENT_SLURM_NO_CONFIG_FILE",
      "submitting to Slurm needs the experiment config as a file (jobs read it)",
    );
  const r = resourcesFor(s, config.slurm?.resources);
  const log = join(slurmDir(config), "logs", `${stepFileName(s.id)}-%j.log`);
  const flags = [
    `--job-name=iit:${config.name}:${s.id}`,
    `--output=${log}`,
    "--nodes=1",
    "--ntasks=1",
    ...(r.cpus ? [`--cpus-per-task=${r.cpus}`] : []),
    ...(r.gpus ? [`--gres=gpu:${r.gpus}`] : []),
    ...(r.mem ? [`--mem=${r.mem}`] : []),
    ...(r.time ? [`--time=${r.time}`] : []),
    ...(r.partition ? [`--partition=${r.partition}`] : []),
    // A node failure puts the job back in the queue; the step resumes from what it saved.
    "--requeue",
    ...(after.length ? [`--dependency=afterok:${after.join(":")}`, "--kill-on-invalid-dep=yes"] : []),
    ...(r.sbatch ?? []),
    ...(opts.extra ?? []),
  ];
  const cwd = opts.cwd ?? process.cwd();
  const lines = [
    "#!/bin/bash",
    ...flags.map((f) => `#SBATCH ${f}`),
    `# ${config.name}: step ${s.id} (${s.kind}), inputs ${s.hash.slice(0, 12)}; written by iit experiment submit`,
    "set -euo pipefail",
    `cd ${q(cwd)}`,
    ...(config.slurm?.setup ?? []),
    `exec ${config.slurm?.command ?? defaultCommand()} experiment run ${q(config.source)} --only ${q(s.id)}`,
  ];
  return { script: lines.join("\n") + "\n", log };
}

function readRecords(config: ExperimentConfig): Map<string, JobRecord> {
  const dir = join(slurmDir(config), "jobs");
  const out = new Map<string, JobRecord>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".json")) continue;
    try {
      const r = JSON.parse(readFileSync(join(dir, f), "utf8")) as JobRecord;
      out.set(r.step, r);
    } catch {
      // a record being replaced; the step's manifest still tells whether it is done
    }
  }
  return out;
}

function slurmMissing(tool: string, e: unknown): ExperimentError {
  return new ExperimentError("EXPERIMENT_SLURM_UNAVAILABLE", `cannot run Slurm's ${tool}: ${(e as Error).message}`, {
    suggestion: "run this on a Slurm login node (sbatch, squeue and scancel on PATH, SLURM_CONF set if needed)",
  });
}

/** Slurm's view of these jobs: state and reason, for those it still knows. */
async function queryJobs(ids: string[]): Promise<Map<string, { state: string; reason: string }>> {
  const out = new Map<string, { state: string; reason: string }>();
  if (!ids.length) return out;
  let stdout: string;
  try {
    ({ stdout } = await run("squeue", ["-h", "-t", "all", "-j", ids.join(","), "-o", "%i|%T|%r"], {
      encoding: "utf8",
    }));
  } catch (e) {
    const err = e as Error & { code?: unknown; stderr?: string };
    if (err.code === "ENOENT") throw slurmMissing("squeue", e);
    if (/invalid job id/i.test(err.stderr ?? "")) return out; // none of them is known any more
    throw new ExperimentError("EXPERIMENT_SLURM_QUERY_FAILED", `squeue failed: ${(err.stderr ?? err.message).trim()}`);
  }
  for (const line of stdout.split("\n")) {
    const [id, state, reason] = line.trim().split("|");
    if (id) out.set(id, { state, reason: reason ?? "" });
  }
  return out;
}

const QUEUED = new Set([
  "PENDING",
  "CONFIGURING",
  "REQUEUED",
  "REQUEUE_HOLD",
  "REQUEUE_FED",
  "RESV_DEL_HOLD",
  "SUSPENDED",
  "STOPPED",
]);
const RUNNING = new Set(["RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT", "RESIZING"]);

/** Each step's state: its manifest first (done), else its latest job as Slurm reports it. */
export async function experimentStatus(config: ExperimentConfig, steps?: Step[]): Promise<ExperimentStatus> {
  steps ??= await planExperiment(config, new FileHasher(join(config.output, ".file-hashes.json")));
  const records = readRecords(config);
  const current = (s: Step) => {
    const r = records.get(s.id);
    return r && r.hash === s.hash ? r : null;
  };
  // Ask Slurm before reading manifests: a job gone from the queue had written its manifest by then, if it ever did.
  const jobs = await queryJobs(steps.flatMap((s) => current(s)?.job ?? []));
  const counts: Record<StepState, number> = { done: 0, queued: 0, running: 0, failed: 0, missing: 0 };
  const out: StepJobStatus[] = steps.map((s) => {
    const r = current(s);
    const j = r ? jobs.get(r.job) : undefined;
    const slurm = r
      ? j
        ? `${j.state}${j.reason && j.reason !== "None" ? ` (${j.reason})` : ""}`
        : "gone from the queue"
      : null;
    let state: StepState;
    if (readManifest(s.dir)?.hash === s.hash) state = "done";
    else if (!r) state = "missing";
    else if (j && QUEUED.has(j.state) && j.reason !== "DependencyNeverSatisfied") state = "queued";
    else if (j && RUNNING.has(j.state)) state = "running";
    else state = "failed";
    counts[state]++;
    return { id: s.id, kind: s.kind, state, job: r?.job ?? null, slurm, log: r?.log ?? null, dir: s.dir };
  });
  return { experiment: config.name, output: config.output, steps: out, counts };
}

/**
 * Submits every step that is not done and has no live job, in plan order, each after its unfinished
 * upstream steps (`afterok` on their new or still live jobs). A re-submit after failures submits only
 * what is missing.
 */
export async function submitExperiment(config: ExperimentConfig, opts: SubmitOptions = {}): Promise<SubmitResult> {
  const steps = await planExperiment(config, new FileHasher(join(config.output, ".file-hashes.json")));
  const status = await experimentStatus(config, steps);
  const byId = new Map(status.steps.map((s) => [s.id, s]));
  const result: SubmitResult = {
    experiment: config.name,
    output: config.output,
    dryRun: !!opts.dryRun,
    submitted: [],
    done: [],
    live: [],
    cancelled: [],
  };
  const jobOf = new Map<string, string>();
  // Every input of what would be submitted is checked before the first sbatch: a job graph whose step
  // cannot start its work would only fail later, on the cluster. A dry run marks them instead.
  const missing = missingInputs(steps);
  const toSubmit = steps.filter((s) => !["done", "queued", "running"].includes(byId.get(s.id)!.state));
  if (!opts.dryRun) checkInputs(toSubmit, missing);
  for (const s of steps) {
    const st = byId.get(s.id)!;
    if (st.state === "done") {
      result.done.push(s.id);
      continue;
    }
    if (st.state === "queued" || st.state === "running") {
      jobOf.set(s.id, st.job!);
      result.live.push({ step: s.id, job: st.job!, state: st.state });
      continue;
    }
    // A job still pending although it can never start (its upstream failed): replace it.
    if (st.state === "failed" && st.slurm?.startsWith("PENDING") && !opts.dryRun) {
      await run("scancel", [st.job!]).catch(() => {});
      result.cancelled.push(st.job!);
    }
    const pending = [...new Set(Object.values(s.deps))].filter((d) => byId.get(d)!.state !== "done");
    const after = pending.map((d) => jobOf.get(d) ?? `{${d}}`);
    const { script, log } = sbatchScript(config, s, after, { extra: opts.sbatch });
    const scriptPath = join(slurmDir(config), "scripts", `${stepFileName(s.id)}.sh`);
    let job: string;
    if (opts.dryRun) job = `{${s.id}}`;
    else {
      await mkdir(dirname(log), { recursive: true }); // Slurm does not create it: a job fails without its log folder
      await writeTextAtomic(scriptPath, script);
      job = await sbatch(scriptPath, s.id);
      const record: JobRecord = {
        step: s.id,
        hash: s.hash,
        job,
        log: log.replace("%j", job),
        script: scriptPath,
        submitted: new Date().toISOString(),
      };
      await writeJsonAtomic(join(slurmDir(config), "jobs", `${stepFileName(s.id)}.json`), record);
    }
    jobOf.set(s.id, job);
    const absent = missing.filter((x) => x.step === s.id);
    result.submitted.push({
      step: s.id,
      job,
      after,
      script: opts.dryRun ? script : scriptPath,
      log: log.replace("%j", job),
      ...(absent.length ? { missing: Object.fromEntries(absent.map((x) => [x.role, x.path])) } : {}),
    });
  }
  return result;
}

async function sbatch(script: string, step: string): Promise<string> {
  try {
    const { stdout } = await run("sbatch", ["--parsable", script], { encoding: "utf8" });
    return stdout.trim().split(";")[0];
  } catch (e) {
    const err = e as Error & { code?: unknown; stderr?: string };
    if (err.code === "ENOENT") throw slurmMissing("sbatch", e);
    throw new ExperimentError(
      "EXPERIMENT_SLURM_SUBMIT_FAILED",
      `sbatch rejected step ${step}: ${(err.stderr ?? err.message).trim()}`,
      {
        suggestion: `check the resources for this step in the config's "slurm" section; the script is ${script}`,
      },
    );
  }
}
