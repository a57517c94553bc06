// An experiment config resolved: read from JSON or YAML, validated (configSchema.ts), every path made
// absolute against the config's directory and every arm's inherited settings filled in.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { ExperimentError } from "../errors.js";
import { stripBom } from "../util/bom.js";
import {
  armKind,
  experimentSchema,
  type ArmKind,
  type ExperimentConfigRaw,
  type GenerationSettings,
  type TrainingSettings,
} from "./configSchema.js";
import type { SlurmSettings } from "./slurmConfig.js";

/** An arm with its name, kind, argument and inherited settings resolved. */
export interface Arm {
  name: string;
  kind: ArmKind;
  /** single-task: dataset name; rules: preset or rule file (absolute); lora/expert: GGUF path (absolute). */
  arg: string | null;
  seeds: number[];
  trained: boolean;
  data?: { path: string; format: string; maxExamples?: number; dropInstructions: boolean };
  training: TrainingSettings;
  generation: GenerationSettings;
  disable: string[];
  scale: number;
  weight: number;
  /** The arm's own prompts (absolute path or `lab:` source), when not the evaluation's. */
  instructions?: string;
}

/** A validated config with every path absolute and every arm resolved. */
export interface ExperimentConfig {
  name: string;
  description?: string;
  /** The config file (null when given as an object). */
  source: string | null;
  baseDir: string;
  baseModel: string;
  output: string;
  seeds: number[];
  threads?: number;
  gpuLayers: number;
  arms: Arm[];
  lab?: { world: number; fitEvals?: number };
  evaluation: ExperimentConfigRaw["evaluation"] & { bothOrders: boolean; judgeSeed: number };
  analyses: {
    similarity?: { embedder: string; generalData: string; arms: string[]; maxExamples?: number; contextSize?: number };
  };
  slurm?: SlurmSettings;
}

const isPathLike = (s: string) => !/^(hf:|https?:|openai:|lab:)/.test(s);
const abs = (base: string, p: string) => (isPathLike(p) && !isAbsolute(p) ? resolve(base, p) : p);

/** Validates a config value; every error names the bad field path (`arms.2.type: …`). */
export function parseExperimentConfig(
  value: unknown,
  opts: { source?: string; baseDir?: string } = {},
): ExperimentConfig {
  const r = experimentSchema.safeParse(value);
  const where = opts.source ?? "experiment config";
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ExperimentError("EXPERIMENT_CONFIG_INVALID", `${where} is invalid: ${issues.join("; ")}`, {
      suggestion: "see `iit experiment schema` for the format, or examples/micro.json",
    });
  }
  const c = r.data;
  const baseDir = opts.baseDir ?? (opts.source ? dirname(resolve(opts.source)) : process.cwd());
  const seeds = c.seeds ?? [1];
  const arms: Arm[] = c.arms.map((a) => {
    const kind = armKind(a.type);
    const rawArg = a.type.includes(":") ? a.type.slice(a.type.indexOf(":") + 1) : null;
    let arg = rawArg;
    if (kind === "lora" || kind === "expert") arg = abs(baseDir, rawArg!);
    if (kind === "rules")
      arg = rawArg === null ? "hewitt2024" : /[/\\]|\.json$/i.test(rawArg) ? abs(baseDir, rawArg) : rawArg;
    const trained = kind === "instruction-tuned" || kind === "response-tuned" || kind === "single-task";
    return {
      name: a.name ?? a.type.replace(/[^A-Za-z0-9._-]+/g, "-"),
      kind,
      arg,
      seeds: a.seeds ?? seeds,
      trained,
      ...(a.data
        ? {
            data: {
              path: abs(baseDir, a.data.path),
              format: a.data.format ?? (kind === "single-task" ? rawArg! : "messages"),
              ...(a.data.maxExamples === undefined ? {} : { maxExamples: a.data.maxExamples }),
              dropInstructions: a.data.dropInstructions ?? kind === "response-tuned",
            },
          }
        : {}),
      training: { ...c.training, ...a.training },
      generation: { ...c.generation, ...a.generation },
      disable: a.disable ?? [],
      scale: a.scale ?? 1,
      weight: a.weight ?? 1,
      ...(a.instructions ? { instructions: abs(baseDir, a.instructions) } : {}),
    };
  });
  const ev = c.evaluation;
  return {
    name: c.name,
    ...(c.description ? { description: c.description } : {}),
    source: opts.source ? resolve(opts.source) : null,
    baseDir,
    baseModel: abs(baseDir, c.baseModel),
    output: abs(baseDir, c.output ?? `runs/${c.name}`),
    seeds,
    ...(c.threads === undefined ? {} : { threads: c.threads }),
    gpuLayers: c.gpuLayers ?? -1,
    arms,
    ...(c.lab ? { lab: c.lab } : {}),
    evaluation: {
      ...ev,
      instructions: abs(baseDir, ev.instructions),
      ...(ev.judge ? { judge: abs(baseDir, ev.judge) } : {}),
      ...(ev.judgeTemplate === undefined || ev.judgeTemplate === "default"
        ? {}
        : { judgeTemplate: abs(baseDir, ev.judgeTemplate) }),
      bothOrders: ev.bothOrders ?? true,
      judgeSeed: ev.judgeSeed ?? 42,
    },
    analyses: c.analyses?.similarity
      ? {
          similarity: {
            ...c.analyses.similarity,
            embedder: abs(baseDir, c.analyses.similarity.embedder),
            generalData: abs(baseDir, c.analyses.similarity.generalData),
            arms: c.analyses.similarity.arms ?? arms.filter((a) => a.kind === "single-task").map((a) => a.name),
          },
        }
      : {},
    ...(c.slurm ? { slurm: c.slurm } : {}),
  };
}

/** Reads a JSON or YAML config file; relative paths inside resolve against its directory. */
export function loadExperimentConfig(path: string): ExperimentConfig {
  let text: string;
  try {
    text = stripBom(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ExperimentError(
      "EXPERIMENT_CONFIG_NOT_FOUND",
      `cannot read experiment config ${path}: ${(e as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new ExperimentError(
      "EXPERIMENT_CONFIG_INVALID",
      `${path}: not valid ${/\.ya?ml$/i.test(path) ? "YAML" : "JSON"} (${(e as Error).message})`,
    );
  }
  return parseExperimentConfig(value, { source: path });
}
