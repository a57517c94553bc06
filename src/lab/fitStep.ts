// The lab's fit step: `iit rules fit --scorer lab` on the world's dev prompts, as a cached step of the
// experiment. The `rules:lab:fitted` arms (and their ablations) apply the file it writes.
import { join } from "node:path";
import { loadModel } from "../model/Model.js";
import { fitRules } from "../rules/fit/fitRules.js";
import { labScorer } from "./ruleScorer.js";
import type { TemplateName } from "../model/generationTypes.js";
import { writeJsonAtomic } from "../util/atomicWrite.js";
import { writeJsonlAtomic } from "../data/messages.js";
import { fitPrompts } from "./corpus.js";
import { makeWorld } from "./world.js";

export const FITTED_RULES_FILE = "rules.json";
/** The fit's dev prompts (corpus.ts fitPrompts), written beside the rule file: its only evidence. */
export const FIT_DEV_FILE = "fit-dev.jsonl";

export interface LabFitOptions {
  /** The step's directory: the rule file and the evaluation cache (a rerun after Ctrl-C resumes from it). */
  dir: string;
  world: number;
  baseModel: string;
  evals: number;
  seed: number;
  generation: { template: TemplateName; maxTokens: number; parallel: number };
  threads?: number;
  signal?: AbortSignal;
  onEval?: (n: number, total: number) => void;
}

/** Fits the rule file on the dev creatures in three phrasings (the lab scorer refuses evaluation creatures) and writes `rules.json`. */
export async function runLabFit(o: LabFitOptions): Promise<Record<string, unknown>> {
  const world = makeWorld({ seed: o.world });
  const dev = fitPrompts(world);
  await writeJsonlAtomic(join(o.dir, FIT_DEV_FILE), dev);
  await using model = await loadModel({ model: o.baseModel, threads: o.threads });
  const r = await fitRules({
    model,
    scorer: labScorer(world, dev, FIT_DEV_FILE),
    ...o.generation,
    seed: o.seed,
    maxEvals: o.evals,
    cache: join(o.dir, "fit-cache.jsonl"),
    // The name and source examples/lab-rules-fitted.json carries: world 1's step writes that file byte for byte.
    name: "lab-fitted",
    devSource: FIT_DEV_FILE,
    signal: o.signal,
    onEval: ({ n, maxEvals }) => o.onEval?.(n, maxEvals),
  });
  await writeJsonAtomic(join(o.dir, FITTED_RULES_FILE), r.spec);
  return {
    dev: r.score,
    base: r.base,
    evals: r.evals,
    cached: r.cached,
    stopped: r.stopped,
    fit_seconds: r.seconds,
    tokens: r.candidates.map((c) => c.text),
    pruned: r.pruned,
    dropped: r.dropped,
  };
}
