import { existsSync } from "node:fs";
import { cp, readFile, rename, rm } from "node:fs/promises";
import { writeFailure } from "../util/writeErrors.js";
import { makeDirs } from "../util/dirs.js";
import { checkOutputPath } from "../util/outputPath.js";
import { join, relative } from "node:path";
import { AbortError, ExperimentError } from "../errors.js";
import type { ExperimentConfig } from "./config.js";
import { FileHasher } from "../util/hash.js";
import { checkInputs, missingInputs } from "./inputs.js";
import { matchesOnly, planExperiment } from "./plan.js";
import { aggregateToFiles, writeResults } from "./results.js";
import { isDone, StepRunner } from "./stepRunner.js";
import { readManifest } from "./store.js";

import type { ExperimentResults, ResultFiles } from "./results.js";
import type { ExperimentRun, RunExperimentOptions, Step, StepStatus } from "./types.js";

export type { ExperimentResults } from "./results.js";

function status(s: Step, st: StepStatus["status"]): StepStatus {
  return {
    id: s.id,
    kind: s.kind,
    arm: s.arm,
    seed: s.seed,
    hash: s.hash,
    dir: s.dir,
    status: st,
    inputs: { slice: s.slice, files: s.files, deps: s.deps },
  };
}

/**
 * Runs an experiment: convert, train, generate, judge, aggregate. Each step's outputs live in a
 * directory named by the hash of its inputs and are marked done by a manifest written last, so a
 * re-run skips finished steps and resumes unfinished ones (generation and judging resume row by row).
 * This is the scheduler: which steps run, in what order, and what a failure means; StepRunner runs one.
 */
export async function runExperiment(config: ExperimentConfig, opts: RunExperimentOptions = {}): Promise<ExperimentRun> {
  const hasher = new FileHasher(join(config.output, ".file-hashes.json"));
  const steps = await planExperiment(config, hasher);
  const run: ExperimentRun = {
    experiment: config.name,
    output: config.output,
    dryRun: !!opts.dryRun,
    aborted: false,
    steps: [],
    executed: [],
    cached: [],
    failed: [],
    skipped: [],
    results: null,
    files: null,
  };
  const missing = missingInputs(steps);
  if (opts.dryRun) {
    run.steps = steps.map((s) => {
      const m = missing.filter((x) => x.step === s.id);
      return {
        ...status(s, isDone(s) ? "done" : "pending"),
        ...(m.length ? { missing: Object.fromEntries(m.map((x) => [x.role, x.path])) } : {}),
      };
    });
    return run;
  }
  checkOutputPath(config.output, "the experiment's output", { directory: true }); // before the first step
  await makeDirs(config.output);
  await hasher.save();
  const selected = selectSteps(steps, opts.only);
  checkInputs(
    selected.filter((s) => !isDone(s)),
    missing,
  );
  const runner = new StepRunner(config, steps, opts);
  const done = new Set(steps.filter(isDone).map((s) => s.id));
  const failedOrSkipped = new Set<string>();
  const cached = (s: Step) => {
    run.cached.push(s.id);
    opts.onEvent?.({ type: "step-cached", step: s.id, kind: s.kind });
  };
  const show = (r: { results: ExperimentResults; files: ResultFiles }) => {
    run.results = r.results;
    run.files = r.files;
  };
  try {
    for (const s of selected) {
      if (opts.signal?.aborted) {
        run.aborted = true;
        break;
      }
      const waiting = Object.values(s.deps).filter((d) => !done.has(d));
      if (s.kind === "aggregate") {
        if (opts.keepGoing && waiting.length) {
          // Partial results: whatever finished, without marking the aggregate done.
          show(await aggregateToFiles(config, steps, true));
          continue;
        }
        if (done.has(s.id) && waiting.length === 0) {
          cached(s);
          show(await aggregateToFiles(config, steps, false));
          continue;
        }
      } else {
        if (done.has(s.id)) {
          cached(s);
          continue;
        }
        const blocked = waiting.filter((d) => failedOrSkipped.has(d));
        if (blocked.length) {
          failedOrSkipped.add(s.id);
          run.skipped.push(s.id);
          opts.onEvent?.({ type: "step-skipped", step: s.id, kind: s.kind, after: blocked });
          continue;
        }
        if (waiting.length) {
          throw new ExperimentError(
            "EXPERIMENT_UPSTREAM_MISSING",
            `step ${s.id} needs ${waiting.join(", ")} to finish first`,
            {
              suggestion: `run them first (--only ${waiting[0]}), or copy their step directories here (iit experiment collect --from DIR)`,
            },
          );
        }
      }
      const r = await runner.run(s);
      if (r.status === "cached") {
        done.add(s.id); // finished by the process that held the lock before us
        cached(s);
        continue;
      }
      if (r.status === "failed") {
        if (r.error instanceof AbortError || opts.signal?.aborted) {
          run.aborted = true;
          break;
        }
        const err = r.error as Error & { code?: string };
        if (!opts.keepGoing) {
          // Name the step: the same error text could come from any arm.
          if (err instanceof Error && !err.message.includes(s.id)) err.message = `step ${s.id}: ${err.message}`;
          throw r.error;
        }
        failedOrSkipped.add(s.id);
        run.failed.push({ step: s.id, code: err.code ?? "ERROR", message: err.message });
        opts.onEvent?.({
          type: "step-failed",
          step: s.id,
          kind: s.kind,
          code: err.code ?? "ERROR",
          message: err.message,
        });
        continue;
      }
      done.add(s.id);
      run.executed.push(s.id);
      opts.onEvent?.({ type: "step-done", step: s.id, kind: s.kind, seconds: r.seconds });
      if (s.kind === "aggregate") {
        const results = JSON.parse(await readFile(join(s.dir, "results.json"), "utf8")) as ExperimentResults;
        show({ results, files: await writeResults(config, results) });
      }
    }
  } finally {
    await runner.dispose();
  }
  run.steps = steps.map((s) => status(s, run.executed.includes(s.id) ? "ran" : done.has(s.id) ? "done" : "pending"));
  return run;
}

/** The steps matching --only (all without it). */
function selectSteps(steps: Step[], only: string[] | undefined): Step[] {
  if (!only?.length) return steps;
  const selected = steps.filter((s) => matchesOnly(s, only));
  if (selected.length === 0) {
    throw new ExperimentError("EXPERIMENT_ONLY_NO_MATCH", `--only ${only.join(" ")} matches no step`, {
      suggestion: `step ids look like ${steps
        .slice(0, 3)
        .map((s) => s.id)
        .join(", ")}; list them with --dry-run`,
    });
  }
  return selected;
}

/**
 * `iit experiment collect`: copies finished step directories from other output directories (e.g.
 * machines that ran `--only`), then aggregates whatever is finished; unfinished judge steps are listed.
 */
export async function collectExperiment(config: ExperimentConfig, opts: { from?: string[] } = {}) {
  const hasher = new FileHasher(join(config.output, ".file-hashes.json"));
  const steps = await planExperiment(config, hasher);
  const copied: string[] = [];
  for (const s of steps) {
    if (isDone(s)) continue;
    for (const from of opts.from ?? []) {
      const src = join(from, relative(config.output, s.dir));
      if (readManifest(src)?.hash === s.hash) {
        // Into a temporary directory first: a copy cut short (a full disk) must not leave a step.json
        // that marks half a step done.
        const tmp = `${s.dir}.collect-${process.pid}`;
        try {
          await cp(src, tmp, { recursive: true });
          await rm(s.dir, { recursive: true, force: true });
          await rename(tmp, s.dir);
        } catch (e) {
          await rm(tmp, { recursive: true, force: true });
          throw writeFailure(e, s.dir);
        }
        copied.push(s.id);
        break;
      }
    }
  }
  const { results, files } = await aggregateToFiles(config, steps, true);
  const missing = steps.filter((s) => s.kind !== "aggregate" && !isDone(s)).map((s) => s.id);
  return {
    experiment: config.name,
    output: config.output,
    copied,
    missing,
    results,
    files,
    complete: existsSync(files.json) && missing.length === 0,
  };
}
