import { existsSync } from "node:fs";
import { cp, mkdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { AbortError, ExperimentError } from "../errors.js";
import { analyzeLengths, type LengthsResult } from "../eval/analyses/lengths.js";
import type { JudgeBackend } from "../eval/judge/backend.js";
import type { WinRateSummary } from "../eval/winrate.js";
import { armRow, resultsCsv, resultsMarkdown, seedResult, type ResultsTable, type SeedResult } from "./aggregate.js";
import type { Arm, ExperimentConfig } from "./config.js";
import { train } from "../training/train.js";
import { FileHasher } from "./hash.js";
import { labResults, type LabResults } from "./labResults.js";
import { labMarkdown, type Finding } from "../lab/results.js";
import { missingInputs } from "./inputs.js";
import { lockStepDir } from "./lock.js";
import { matchesOnly, planExperiment, type Step, type StepKind } from "./plan.js";
import { openExperimentJudge, runConvert, runGenerate, runGrade, runJudgeStep, runSimilarity, runTrain, runWorld, type StepContext, type StepOutcome, type TrainFn } from "./runSteps.js";
import { writeJsonAtomic, writeTextAtomic } from "../util/atomicWrite.js";
import { readManifest, type StepManifest } from "./store.js";

export interface RunExperimentOptions {
  /** The trainer. Defaults to the training library's `train`; tests may wrap it to observe calls. */
  train?: TrainFn;
  /** Run only the steps matching these patterns (see {@link matchesOnly}); their upstream steps must be done. */
  only?: string[];
  /** List every step with its inputs, hash and status; run nothing. Defaults to `false`. */
  dryRun?: boolean;
  /**
   * On a failed step, record it, skip the steps that need it, run everything else, and aggregate what
   * finished (the failures are in `failed`). Defaults to `false`: the first failure throws.
   */
  keepGoing?: boolean;
  signal?: AbortSignal;
  onEvent?: (e: ExperimentEvent) => void;
}

export type ExperimentEvent =
  | { type: "step-start" | "step-cached"; step: string; kind: StepKind }
  | { type: "step-done"; step: string; kind: StepKind; seconds: number }
  | { type: "step-failed"; step: string; kind: StepKind; code: string; message: string }
  | { type: "step-skipped"; step: string; kind: StepKind; after: string[] }
  | { type: "progress"; step: string; done: number; total: number; unit: string };

export interface StepStatus {
  id: string;
  kind: StepKind;
  arm: string;
  seed: number | null;
  hash: string;
  dir: string;
  /** done: finished earlier (cached) · ran: finished in this run · pending: not run yet. */
  status: "done" | "ran" | "pending";
  /** Input files (by role) that do not exist: the step would fail when reached. */
  missing?: Record<string, string>;
  inputs: { slice: Record<string, unknown>; files: Record<string, string>; deps: Record<string, string> };
}

/** The results file the report reads (`<output>/results.json`). */
export interface ExperimentResults {
  table: ResultsTable;
  lengths: LengthsResult;
  /** Generation files per arm, relative to the output directory. */
  generations: Record<string, { seed: number | null; path: string }[]>;
  /** Similarity analyses (paper Fig. 5) per analysed arm, relative to the output directory. */
  similarity: { arm: string; seed: number; path: string; pearson_r: number | null }[];
  config: { name: string; description?: string; baseModel: string; source: string | null };
  /** Lab experiments (grader "lab"): the graded table, learning curves and samples. */
  lab?: LabResults;
  /** Lab experiments: one verdict per finding of the paper. */
  findings?: Finding[];
}

export interface ExperimentRun {
  experiment: string;
  output: string;
  dryRun: boolean;
  aborted: boolean;
  steps: StepStatus[];
  executed: string[];
  cached: string[];
  /** With keepGoing: the steps that failed, and those skipped because they needed one. */
  failed: { step: string; code: string; message: string }[];
  skipped: string[];
  results: ExperimentResults | null;
  files: { markdown: string; csv: string; json: string } | null;
}

function status(s: Step, st: StepStatus["status"]): StepStatus {
  return { id: s.id, kind: s.kind, arm: s.arm, seed: s.seed, hash: s.hash, dir: s.dir, status: st, inputs: { slice: s.slice, files: s.files, deps: s.deps } };
}

const isDone = (s: Step) => readManifest(s.dir)?.hash === s.hash;

/**
 * Runs an experiment: convert, train, generate, judge, aggregate. Each step's outputs live in a
 * directory named by the hash of its inputs and are marked done by a manifest written last, so a
 * re-run skips finished steps and resumes unfinished ones (generation and judging resume row by row).
 */
export async function runExperiment(c: ExperimentConfig, o: RunExperimentOptions = {}): Promise<ExperimentRun> {
  const hasher = new FileHasher(join(c.output, ".file-hashes.json"));
  const steps = await planExperiment(c, hasher);
  const run: ExperimentRun = { experiment: c.name, output: c.output, dryRun: !!o.dryRun, aborted: false, steps: [], executed: [], cached: [], failed: [], skipped: [], results: null, files: null };
  const missing = missingInputs(steps);
  if (o.dryRun) {
    run.steps = steps.map((s) => {
      const m = missing.filter((x) => x.step === s.id);
      return { ...status(s, isDone(s) ? "done" : "pending"), ...(m.length ? { missing: Object.fromEntries(m.map((x) => [x.role, x.path])) } : {}) };
    });
    return run;
  }
  await mkdir(c.output, { recursive: true });
  await hasher.save();
  const byId = new Map(steps.map((s) => [s.id, s]));
  const selected = o.only?.length ? steps.filter((s) => matchesOnly(s, o.only!)) : steps;
  if (o.only?.length && selected.length === 0) {
    throw new ExperimentError("EXPERIMENT_ONLY_NO_MATCH", `--only ${o.only.join(" ")} matches no step`, {
      suggestion: `step ids look like ${steps.slice(0, 3).map((s) => s.id).join(", ")}; list them with --dry-run`,
    });
  }
  // Every input of the steps to run, checked before the first one (not after an hour of training).
  const toRun = new Set(selected.filter((s) => !isDone(s)).map((s) => s.id));
  const absent = missing.filter((x) => toRun.has(x.step));
  if (absent.length) {
    const paths = [...new Set(absent.map((x) => x.path))];
    throw new ExperimentError(
      "EXPERIMENT_INPUT_MISSING",
      `${paths.length} input file(s) do not exist: ${paths.map((p) => `${p} (${absent.filter((x) => x.path === p).map((x) => `${x.step} ${x.role}`).join(", ")})`).join("; ")}`,
      { suggestion: "fix the paths in the config (relative paths resolve against its directory); --dry-run marks them" },
    );
  }
  let judge: JudgeBackend | undefined;
  const armOf = (name: string) => c.arms.find((a) => a.name === name)!;
  const upstream = (id: string) => {
    const s = byId.get(id)!;
    const m = readManifest(s.dir);
    if (!m || m.hash !== s.hash) throw new ExperimentError("EXPERIMENT_UPSTREAM_MISSING", `step ${id} has not finished`);
    return { dir: s.dir, outputs: m.outputs, result: m.result };
  };
  const done = new Set(steps.filter(isDone).map((s) => s.id));
  const failedOrSkipped = new Set<string>();
  try {
    for (const s of selected) {
      if (o.signal?.aborted) {
        run.aborted = true;
        break;
      }
      if (done.has(s.id) && s.kind !== "aggregate") {
        run.cached.push(s.id);
        o.onEvent?.({ type: "step-cached", step: s.id, kind: s.kind });
        continue;
      }
      const missing = Object.values(s.deps).filter((d) => !done.has(d));
      const blocked = missing.filter((d) => failedOrSkipped.has(d));
      if (s.kind === "aggregate" && o.keepGoing && missing.length) {
        // Partial results: whatever finished, without marking the aggregate done.
        run.results = await aggregate(c, steps, true);
        run.files = await writeResults(c, run.results);
        continue;
      }
      if (blocked.length && s.kind !== "aggregate") {
        failedOrSkipped.add(s.id);
        run.skipped.push(s.id);
        o.onEvent?.({ type: "step-skipped", step: s.id, kind: s.kind, after: blocked });
        continue;
      }
      if (s.kind === "aggregate") {
        if (done.has(s.id) && missing.length === 0) {
          run.cached.push(s.id);
          o.onEvent?.({ type: "step-cached", step: s.id, kind: s.kind });
          run.results = await aggregate(c, steps, false);
          run.files = await writeResults(c, run.results);
          continue;
        }
      } else if (missing.length) {
        throw new ExperimentError("EXPERIMENT_UPSTREAM_MISSING", `step ${s.id} needs ${missing.join(", ")} to finish first`, {
          suggestion: `run them first (--only ${missing[0]}), or copy their step directories here (iit experiment collect --from DIR)`,
        });
      }
      await mkdir(s.dir, { recursive: true });
      // One writer per step directory (Slurm jobs and local runs may share the output); released at the end of this iteration.
      await using _lock = await lockStepDir(s.dir, s.id);
      if (isDone(s) && s.kind !== "aggregate") {
        done.add(s.id); // finished by the process that held the lock before us
        run.cached.push(s.id);
        o.onEvent?.({ type: "step-cached", step: s.id, kind: s.kind });
        continue;
      }
      o.onEvent?.({ type: "step-start", step: s.id, kind: s.kind });
      const t0 = performance.now();
      const started = new Date().toISOString();
      const ctx: StepContext = {
        config: c,
        upstream,
        train: o.train ?? train,
        signal: o.signal,
        onProgress: (d, total, unit) => o.onEvent?.({ type: "progress", step: s.id, done: d, total, unit }),
        judge: async () => (judge ??= await openExperimentJudge(c)),
      };
      let outcome: StepOutcome;
      try {
        outcome = await execute(s, armOf(s.arm), ctx, c, steps);
      } catch (e) {
        if (e instanceof AbortError || o.signal?.aborted) {
          run.aborted = true;
          break;
        }
        const err = e as Error & { code?: string };
        if (!o.keepGoing) {
          // Name the step: the same error text could come from any arm.
          if (err instanceof Error && !err.message.includes(s.id)) err.message = `step ${s.id}: ${err.message}`;
          throw e;
        }
        failedOrSkipped.add(s.id);
        run.failed.push({ step: s.id, code: err.code ?? "ERROR", message: err.message });
        o.onEvent?.({ type: "step-failed", step: s.id, kind: s.kind, code: err.code ?? "ERROR", message: err.message });
        continue;
      }
      const seconds = (performance.now() - t0) / 1000;
      const manifest: StepManifest = {
        id: s.id,
        kind: s.kind,
        arm: s.arm,
        seed: s.seed,
        hash: s.hash,
        inputs: { slice: s.slice, files: s.files, deps: Object.fromEntries(Object.entries(s.deps).map(([k, id]) => [k, `${id}@${byId.get(id)!.hash.slice(0, 12)}`])) },
        outputs: outcome.outputs,
        result: outcome.result,
        started,
        finished: new Date().toISOString(),
        seconds,
      };
      await writeJsonAtomic(join(s.dir, "step.json"), manifest);
      done.add(s.id);
      run.executed.push(s.id);
      o.onEvent?.({ type: "step-done", step: s.id, kind: s.kind, seconds });
      if (s.kind === "aggregate") {
        run.results = JSON.parse(await readFile(join(s.dir, "results.json"), "utf8")) as ExperimentResults;
        run.files = await writeResults(c, run.results);
      }
    }
  } finally {
    await judge?.dispose?.();
  }
  run.steps = steps.map((s) => status(s, run.executed.includes(s.id) ? "ran" : done.has(s.id) ? "done" : "pending"));
  return run;
}

async function execute(s: Step, arm: Arm | undefined, ctx: StepContext, c: ExperimentConfig, steps: Step[]): Promise<StepOutcome> {
  switch (s.kind) {
    case "world":
      return runWorld(s, ctx);
    case "grade":
      return runGrade(s, ctx);
    case "convert":
      return runConvert(s, arm!, ctx);
    case "train":
      return runTrain(s, arm!, ctx);
    case "generate":
      return runGenerate(s, arm!, ctx);
    case "judge":
      return runJudgeStep(s, arm!, ctx);
    case "similarity":
      return runSimilarity(s, arm!, ctx);
    case "aggregate": {
      const results = await aggregate(c, steps, false);
      await writeJsonAtomic(join(s.dir, "results.json"), results);
      return { outputs: { results: "results.json" }, result: {} };
    }
  }
}

/** Builds the results (table, lengths, generation files) from the finished steps' manifests. */
export async function aggregate(c: ExperimentConfig, steps: Step[], allowMissing: boolean): Promise<ExperimentResults> {
  const manifest = (s: Step) => {
    const m = readManifest(s.dir);
    return m && m.hash === s.hash ? m : null;
  };
  const rows = [];
  const generations: ExperimentResults["generations"] = {};
  const lengthsIn: { arm: string; files: string[] }[] = [];
  for (const arm of c.arms) {
    const gens = steps.filter((s) => s.kind === "generate" && s.arm === arm.name);
    generations[arm.name] = gens.flatMap((g) => {
      const m = manifest(g);
      return m ? [{ seed: g.seed, path: relative(c.output, join(g.dir, m.outputs.outputs)) }] : [];
    });
    lengthsIn.push({ arm: arm.name, files: generations[arm.name].map((g) => join(c.output, g.path)) });
    const per: SeedResult[] = [];
    const missing: string[] = [];
    for (const j of steps.filter((s) => s.kind === "judge" && s.arm === arm.name)) {
      const m = manifest(j);
      if (!m) {
        if (!allowMissing) throw new ExperimentError("EXPERIMENT_UPSTREAM_MISSING", `step ${j.id} has not finished`);
        missing.push(j.id);
        continue;
      }
      per.push(seedResult(j.seed!, j.id, m.result.metrics as WinRateSummary));
    }
    const isRef = arm.name === c.evaluation.reference;
    rows.push(armRow(arm.name, armLabel(arm), isRef, isRef ? arm.seeds : per.map((p) => p.seed), per, missing));
    if (isRef) {
      // The reference row's length: its own outputs (it is never output_2 of a comparison).
      const own = await analyzeLengths([{ arm: arm.name, files: lengthsIn.at(-1)!.files }]);
      rows.at(-1)!.avg_length_mean = own.arms[0].chars.mean;
    }
  }
  const lengths = await analyzeLengths(lengthsIn);
  const similarity = steps
    .filter((s) => s.kind === "similarity")
    .flatMap((s) => {
      const m = manifest(s);
      if (!m && !allowMissing) throw new ExperimentError("EXPERIMENT_UPSTREAM_MISSING", `step ${s.id} has not finished`);
      return m ? [{ arm: s.arm, seed: s.seed!, path: relative(c.output, join(s.dir, m.outputs.similarity)), pearson_r: (m.result.pearson_r as number | null) ?? null }] : [];
    });
  const lab = c.evaluation.grader === "lab" ? await labResults(c, steps, manifest) : {};
  return {
    ...lab,
    similarity,
    table: { experiment: c.name, reference: c.evaluation.reference, judge: c.evaluation.judge ?? c.evaluation.grader ?? "", both_orders: c.evaluation.bothOrders, rows },
    lengths,
    generations,
    config: { name: c.name, ...(c.description ? { description: c.description } : {}), baseModel: c.baseModel, source: c.source },
  };
}

async function writeResults(c: ExperimentConfig, r: ExperimentResults) {
  const files = { markdown: join(c.output, "results.md"), csv: join(c.output, "results.csv"), json: join(c.output, "results.json") };
  const md = r.lab
    ? labMarkdown(r.table.experiment, r.lab.rows, r.findings ?? [], r.lab.chance, r.table.reference) + (c.evaluation.judge ? "\n" + resultsMarkdown(r.table) : "")
    : resultsMarkdown(r.table);
  await writeTextAtomic(files.markdown, md);
  await writeTextAtomic(files.csv, resultsCsv(r.table));
  await writeJsonAtomic(files.json, r);
  return files;
}

/**
 * `iit experiment collect`: copies finished step directories from other output directories (e.g.
 * machines that ran `--only`), then aggregates whatever is finished; unfinished judge steps are listed.
 */
export async function collectExperiment(c: ExperimentConfig, o: { from?: string[] } = {}) {
  const hasher = new FileHasher(join(c.output, ".file-hashes.json"));
  const steps = await planExperiment(c, hasher);
  const copied: string[] = [];
  for (const s of steps) {
    if (isDone(s)) continue;
    for (const from of o.from ?? []) {
      const src = join(from, relative(c.output, s.dir));
      if (readManifest(src)?.hash === s.hash) {
        await cp(src, s.dir, { recursive: true });
        copied.push(s.id);
        break;
      }
    }
  }
  const results = await aggregate(c, steps, true);
  const files = await writeResults(c, results);
  const missing = steps.filter((s) => s.kind !== "aggregate" && !isDone(s)).map((s) => s.id);
  return { experiment: c.name, output: c.output, copied, missing, results, files, complete: existsSync(files.json) && missing.length === 0 };
}

/** The table's Type column: kind, argument (preset or file name) and ablations. */
function armLabel(a: Arm): string {
  const arg = a.arg === null ? "" : `:${a.kind === "rules" && !/[/\\]/.test(a.arg) ? a.arg : a.arg.split(/[/\\]/).pop()}`;
  return `${a.kind}${arg}${a.disable.map((d) => ` −${d}`).join("")}`;
}
