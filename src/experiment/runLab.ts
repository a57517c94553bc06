// `iit lab`: the lab's driver, above the runner. Runs the lab experiment (examples/lab.json) on the shipped
// base, or on another world seed (its base is pretrained first when missing).
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { packageRoot } from "../util/packageRoot.js";
import { parseExperimentConfig } from "./config.js";
import "./labSteps.js"; // the lab's step kinds
import { runExperiment } from "./runExperiment.js";
import type { RunExperimentOptions } from "./types.js";
import { labPretrain, type LabPretrainOptions } from "../lab/pretrain.js";
import { ExperimentError } from "../errors.js";
import { stripBom } from "../util/bom.js";
import { checkSeed } from "../util/seed.js";

export const LAB_CONFIG = join(packageRoot, "examples", "lab.json");
/** The shipped base (world 1); bases of other worlds are made next to it on demand. */
export const SHIPPED_WORLD = 1;
/** The arm applying world 1's fitted file (examples/lab-rules-fitted.json) to another world; on world 1 it would repeat `rules`, so it is left out. */
export const TRANSFER_ARM = "rules-transfer";
export const labBasePath = (world: number) =>
  join(packageRoot, "models", world === SHIPPED_WORLD ? "lab-base.gguf" : `lab-base-world-${world}.gguf`);

export interface RunLabOptions extends Omit<RunExperimentOptions, "train"> {
  /** World seed. Defaults to the shipped base's world (1). */
  world?: number;
  /** Base model; defaults to models/lab-base.gguf (world 1) or models/lab-base-world-N.gguf, pretrained when missing. */
  base?: string;
  /** Output directory. Defaults to `runs/lab` (world 1) or `runs/lab-world-N`, in the working directory. */
  output?: string;
  /** Training seeds of the tuned arms. Defaults to the config's. */
  seeds?: number[];
  threads?: number;
  config?: string;
  onPretrain?: Pick<LabPretrainOptions, "onProgress" | "onStage">;
}

export async function runLab(opts: RunLabOptions = {}) {
  const configPath = opts.config ?? LAB_CONFIG;
  const raw = JSON.parse(stripBom(readFileSync(configPath, "utf8"))) as Record<string, unknown> & {
    lab: { world: number };
    arms: { name?: string }[];
  };
  const world = checkSeed(opts.world ?? raw.lab.world, "world seed");
  for (const s of opts.seeds ?? []) checkSeed(s, "--seeds");
  // A base named by the user is never made here: a typo must not start minutes of pretraining.
  if (opts.base !== undefined && !existsSync(opts.base)) {
    throw new ExperimentError("LAB_BASE_NOT_FOUND", `the lab base ${opts.base} does not exist`, {
      suggestion: `check the path; leave --base out to use world ${world}'s base (${labBasePath(world)}, pretrained when missing), or make one with iit lab pretrain --seed ${world} -o ${opts.base}`,
    });
  }
  const base = resolve(opts.base ?? labBasePath(world));
  let pretrained = null;
  // A dry run pretrains nothing either: the plan marks the missing base instead.
  if (!existsSync(base) && !opts.dryRun) {
    pretrained = await labPretrain({
      seed: world,
      output: base,
      threads: opts.threads,
      signal: opts.signal,
      ...opts.onPretrain,
    });
  }
  const value = {
    ...raw,
    lab: { ...raw.lab, world },
    arms: world === SHIPPED_WORLD ? raw.arms.filter((a) => a.name !== TRANSFER_ARM) : raw.arms,
    baseModel: base,
    output: resolve(opts.output ?? (world === SHIPPED_WORLD ? "runs/lab" : `runs/lab-world-${world}`)),
    ...(opts.seeds ? { seeds: opts.seeds } : {}),
    ...(opts.threads ? { threads: opts.threads } : {}),
  };
  const config = parseExperimentConfig(value, { source: configPath });
  const run = await runExperiment(config, opts);
  return { world, base, pretrained, run };
}
