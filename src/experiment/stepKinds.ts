// The registry of step kinds: the runner dispatches every step through it, and code above the runner
// (the lab, labSteps.ts) registers its own kinds and planning hooks the way the runner's own do (runSteps.ts).
import type { RunStep, StepContext, StepKindSet, StepSource } from "./types.js";

const sets: StepKindSet[] = [];

/** Adds a set of step kinds; registering the same set again does nothing. */
export function registerStepKinds(set: StepKindSet): void {
  if (!sets.includes(set)) sets.push(set);
}

/** Every registered set, in registration order. */
export function stepKindSets(): readonly StepKindSet[] {
  return sets;
}

/** The runner of a step kind, if a registered set has one. */
export function stepKindRunner(kind: string): RunStep | undefined {
  for (const s of sets) if (Object.hasOwn(s.run, kind)) return s.run[kind];
  return undefined;
}

/** The step that writes a source spec (e.g. `lab:dev`), if any registered set writes it. */
export function stepSource(spec: string): StepSource | undefined {
  for (const s of sets) for (const src of s.sources ?? []) if (src.matches(spec)) return src;
  return undefined;
}

/** A source path of the config: a file, or one that a registered step writes (e.g. `lab:dev`). */
export function sourcePath(spec: string, ctx: StepContext): string {
  const written = stepSource(spec);
  return written ? written.file(ctx.upstream(written.step).dir, spec) : spec;
}
