// Runs one step of an experiment: under its directory's lock, by its kind's registered runner (stepKinds.ts), and
// marks it done with a manifest written last. The scheduler (runExperiment.ts) decides which steps run.
import { join } from "node:path";
import type { JudgeBackend } from "../eval/judge/backend.js";
import { ExperimentError } from "../errors.js";
import { train } from "../training/train.js";
import { writeJsonAtomic } from "../util/atomicWrite.js";
import { makeDirs } from "../util/dirs.js";
import type { Arm, ExperimentConfig } from "./config.js";
import { lockStepDir } from "./lock.js";
import { aggregate } from "./results.js";
import type { ExperimentEvent, RunExperimentOptions, Step, StepContext, StepOutcome } from "./types.js";
import { openExperimentJudge } from "./runSteps.js";
import { stepKindRunner } from "./stepKinds.js";
import { readManifest, type StepManifest } from "./store.js";

export const isDone = (s: Step) => readManifest(s.dir)?.hash === s.hash;

/** cached: another process finished it while we waited for the lock · failed: its runner threw. */
export type StepRun = { status: "ran"; seconds: number } | { status: "cached" } | { status: "failed"; error: unknown };

export class StepRunner {
  private judge?: JudgeBackend;
  private readonly byId: Map<string, Step>;

  constructor(
    private readonly config: ExperimentConfig,
    private readonly steps: Step[],
    private readonly opts: Pick<RunExperimentOptions, "train" | "signal" | "onEvent">,
  ) {
    this.byId = new Map(steps.map((s) => [s.id, s]));
  }

  private upstream = (id: string) => {
    const s = this.byId.get(id)!;
    const m = readManifest(s.dir);
    if (!m || m.hash !== s.hash)
      throw new ExperimentError("EXPERIMENT_UPSTREAM_MISSING", `step ${id} has not finished`);
    return { dir: s.dir, outputs: m.outputs, result: m.result };
  };

  private emit(e: ExperimentEvent): void {
    this.opts.onEvent?.(e);
  }

  /** Errors of the step's own work come back as `failed`; errors around it (lock, manifest) are thrown. */
  async run(s: Step): Promise<StepRun> {
    await makeDirs(s.dir);
    // One writer per step directory (Slurm jobs and local runs may share the output).
    await using _lock = await lockStepDir(s.dir, s.id, {
      onWait: (message) => this.emit({ type: "step-waiting", step: s.id, message }),
    });
    if (isDone(s) && s.kind !== "aggregate") return { status: "cached" };
    this.emit({ type: "step-start", step: s.id, kind: s.kind });
    const t0 = performance.now();
    const started = new Date().toISOString();
    const ctx: StepContext = {
      config: this.config,
      upstream: this.upstream,
      train: this.opts.train ?? train,
      signal: this.opts.signal,
      onProgress: (d, total, unit) => this.emit({ type: "progress", step: s.id, done: d, total, unit }),
      judge: async () => (this.judge ??= await openExperimentJudge(this.config)),
    };
    let outcome: StepOutcome;
    try {
      outcome = await this.execute(
        s,
        this.config.arms.find((a) => a.name === s.arm),
        ctx,
      );
    } catch (error) {
      return { status: "failed", error };
    }
    const seconds = (performance.now() - t0) / 1000;
    const manifest: StepManifest = {
      id: s.id,
      kind: s.kind,
      arm: s.arm,
      seed: s.seed,
      hash: s.hash,
      inputs: {
        slice: s.slice,
        files: s.files,
        deps: Object.fromEntries(
          Object.entries(s.deps).map(([k, id]) => [k, `${id}@${this.byId.get(id)!.hash.slice(0, 12)}`]),
        ),
      },
      outputs: outcome.outputs,
      result: outcome.result,
      started,
      finished: new Date().toISOString(),
      seconds,
    };
    await writeJsonAtomic(join(s.dir, "step.json"), manifest);
    return { status: "ran", seconds };
  }

  private async execute(s: Step, arm: Arm | undefined, ctx: StepContext): Promise<StepOutcome> {
    if (s.kind === "aggregate") {
      const results = await aggregate(this.config, this.steps, false);
      await writeJsonAtomic(join(s.dir, "results.json"), results);
      return { outputs: { results: "results.json" }, result: {} };
    }
    const run = stepKindRunner(s.kind);
    if (!run)
      throw new ExperimentError("EXPERIMENT_CONFIG_INVALID", `step ${s.id}: no registered step kind "${s.kind}"`);
    return run(s, ctx, arm);
  }

  async dispose(): Promise<void> {
    await this.judge?.dispose?.();
  }
}
