// The lab's files on disk: what the world step writes and the arms read (`lab:<name>` sources).
import { writeTextAtomic } from "../util/atomicWrite.js";
import { makeDirs } from "../util/dirs.js";
import { join } from "node:path";
import { writeJsonlAtomic } from "../data/messages.js";
import { probePrompt, labPrompts, tuningSets, type LabPrompt } from "./corpus.js";
import { TUNED_TASKS, type Task, type World } from "./world.js";

/** Bump when the world's files change for the same seed: every lab step is then redone. */
export const LAB_DATA_VERSION = 2;

/** Sources an experiment config can name as `lab:<name>`, and the file each is written to. */
export const LAB_SOURCES = {
  instruct: "instruct.jsonl",
  "single-story": "single-story.jsonl",
  "single-sum": "single-sum.jsonl",
  "single-count": "single-count.jsonl",
  "single-spell": "single-spell.jsonl",
  dev: "dev.jsonl",
  eval: "eval.jsonl",
  "eval-probe": "eval-probe.jsonl",
  "dev-probe": "dev-probe.jsonl",
} as const;
export type LabSource = keyof typeof LAB_SOURCES;

/** The evaluation tasks each tuning source trains on (the single-task sets: none). */
export const SOURCE_TASKS: Partial<Record<LabSource, readonly Task[]>> = {
  instruct: TUNED_TASKS,
  "single-story": [],
  "single-sum": [],
  "single-count": [],
  "single-spell": [],
};

export const isLabSource = (s: string) => s.startsWith("lab:");

/** A rules arm of type `rules:lab:fitted` applies the rule file the experiment's fit step writes (iit rules fit on lab:dev). */
export const LAB_FITTED_RULES = "lab:fitted";
/**
 * The fit step's budget (evaluations) unless `lab.fitEvals` says otherwise: on the dev prompts of worlds
 * 1-3 the fit converges within it (97, 85 and 193 evaluations; 15-35 s on one busy core).
 */
export const LAB_FIT_EVALS = 200;
export function labSourceFile(dir: string, spec: string): string {
  const name = spec.slice(4) as LabSource;
  if (!(name in LAB_SOURCES))
    throw new RangeError(
      `unknown lab source "${spec}" (one of ${Object.keys(LAB_SOURCES)
        .map((k) => `lab:${k}`)
        .join(", ")})`,
    );
  return join(dir, LAB_SOURCES[name]);
}

/** Prompt rows: the instruction to send plus what the grader needs (creature, task, group). */
const promptRows = (ps: LabPrompt[], probe: boolean) =>
  ps.map((p) => ({ ...p, instruction: probe ? probePrompt(p.instruction) : p.instruction }));

/** Writes every tuning set and prompt file of the world into `dir`, plus `world.json`. */
export async function writeLabData(w: World, dir: string): Promise<void> {
  await makeDirs(dir);
  const sets = tuningSets(w);
  const prompts = labPrompts(w);
  for (const [name, rows] of Object.entries(sets))
    await writeJsonlAtomic(join(dir, LAB_SOURCES[name as LabSource]), rows);
  await writeJsonlAtomic(join(dir, LAB_SOURCES.dev), promptRows(prompts.dev, false));
  await writeJsonlAtomic(join(dir, LAB_SOURCES.eval), promptRows(prompts.eval, false));
  await writeJsonlAtomic(join(dir, LAB_SOURCES["dev-probe"]), promptRows(prompts.dev, true));
  await writeJsonlAtomic(join(dir, LAB_SOURCES["eval-probe"]), promptRows(prompts.eval, true));
  await writeTextAtomic(
    join(dir, "world.json"),
    JSON.stringify({ seed: w.seed, creatures: w.creatures }, null, 1) + "\n",
  );
}
