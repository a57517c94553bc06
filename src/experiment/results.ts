// The results of an experiment, built from its finished steps' manifests: the one place they are
// aggregated (the aggregate step, `--keep-going` partial results and `iit experiment collect`).
import { join, relative } from "node:path";
import { ExperimentError } from "../errors.js";
import { analyzeLengths, type LengthsResult } from "../eval/analyses/lengths.js";
import { readAnnotations } from "../eval/annotations.js";
import { readGamedData, type GamedData } from "../eval/glm/gamedData.js";
import { computeLengthControlled } from "../eval/lengthControlled.js";
import type { WinRateSummary } from "../eval/winrate.js";
import type { Finding } from "../lab/results.js";
import { labMarkdown } from "../lab/resultsMarkdown.js";
import { writeJsonAtomic, writeTextAtomic } from "../util/atomicWrite.js";
import { armRow, resultsCsv, resultsMarkdown, seedResult, type ResultsTable, type SeedResult } from "./aggregate.js";
import type { Arm, ExperimentConfig } from "./config.js";
import { labResults, type LabResults } from "./labResults.js";
import type { Step } from "./types.js";
import { readManifest } from "./store.js";

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

/** Builds the results (table, lengths, generation files) from the finished steps' manifests. */
export async function aggregate(
  config: ExperimentConfig,
  steps: Step[],
  allowMissing: boolean,
): Promise<ExperimentResults> {
  const manifest = (s: Step) => {
    const m = readManifest(s.dir);
    return m && m.hash === s.hash ? m : null;
  };
  const rows = [];
  // AlpacaEval 2's length-controlled rate, from each judge step's annotations (df_gamed read once).
  let gamed: GamedData | undefined;
  const withLengthControlled = async (dir: string, annotationsFile: string, metrics: WinRateSummary) => {
    if (!config.evaluation.lengthControlled) return metrics;
    gamed ??= await readGamedData();
    const {
      glm_preferences: _g,
      cv_scores: _s,
      ...lc
    } = computeLengthControlled(await readAnnotations(join(dir, annotationsFile)), gamed, metrics.win_rate);
    return { ...metrics, ...lc };
  };
  const generations: ExperimentResults["generations"] = {};
  const lengthsIn: { arm: string; files: string[] }[] = [];
  for (const arm of config.arms) {
    const gens = steps.filter((s) => s.kind === "generate" && s.arm === arm.name);
    generations[arm.name] = gens.flatMap((g) => {
      const m = manifest(g);
      return m ? [{ seed: g.seed, path: relative(config.output, join(g.dir, m.outputs.outputs)) }] : [];
    });
    lengthsIn.push({ arm: arm.name, files: generations[arm.name].map((g) => join(config.output, g.path)) });
    const per: SeedResult[] = [];
    const missing: string[] = [];
    for (const j of steps.filter((s) => s.kind === "judge" && s.arm === arm.name)) {
      const m = manifest(j);
      if (!m) {
        if (!allowMissing) throw new ExperimentError("EXPERIMENT_UPSTREAM_MISSING", `step ${j.id} has not finished`);
        missing.push(j.id);
        continue;
      }
      per.push(
        seedResult(
          j.seed!,
          j.id,
          await withLengthControlled(j.dir, m.outputs.annotations, m.result.metrics as WinRateSummary),
        ),
      );
    }
    const isRef = arm.name === config.evaluation.reference;
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
      if (!m && !allowMissing)
        throw new ExperimentError("EXPERIMENT_UPSTREAM_MISSING", `step ${s.id} has not finished`);
      return m
        ? [
            {
              arm: s.arm,
              seed: s.seed!,
              path: relative(config.output, join(s.dir, m.outputs.similarity)),
              pearson_r: (m.result.pearson_r as number | null) ?? null,
            },
          ]
        : [];
    });
  const lab = config.evaluation.grader === "lab" ? await labResults(config, steps, manifest) : {};
  return {
    ...lab,
    similarity,
    table: {
      experiment: config.name,
      reference: config.evaluation.reference,
      judge: config.evaluation.judge ?? config.evaluation.grader ?? "",
      both_orders: config.evaluation.bothOrders,
      rows,
    },
    lengths,
    generations,
    config: {
      name: config.name,
      ...(config.description ? { description: config.description } : {}),
      baseModel: config.baseModel,
      source: config.source,
    },
  };
}

export async function writeResults(config: ExperimentConfig, r: ExperimentResults): Promise<ResultFiles> {
  const files = {
    markdown: join(config.output, "results.md"),
    csv: join(config.output, "results.csv"),
    json: join(config.output, "results.json"),
  };
  const md = r.lab
    ? labMarkdown(r.table.experiment, r.lab.rows, r.findings ?? [], r.lab.chance, r.table.reference, r.lab.checks) +
      (config.evaluation.judge ? "\n" + resultsMarkdown(r.table) : "")
    : resultsMarkdown(r.table);
  await writeTextAtomic(files.markdown, md);
  await writeTextAtomic(files.csv, resultsCsv(r.table));
  await writeJsonAtomic(files.json, r);
  return files;
}

export interface ResultFiles {
  markdown: string;
  csv: string;
  json: string;
}

/** Aggregates and writes `results.md`, `results.csv` and `results.json` into the output directory. */
export async function aggregateToFiles(
  config: ExperimentConfig,
  steps: Step[],
  allowMissing: boolean,
): Promise<{ results: ExperimentResults; files: ResultFiles }> {
  const results = await aggregate(config, steps, allowMissing);
  return { results, files: await writeResults(config, results) };
}

/** The table's Type column: kind, argument (preset or file name) and ablations. */
function armLabel(a: Arm): string {
  const arg =
    a.arg === null ? "" : `:${a.kind === "rules" && !/[/\\]/.test(a.arg) ? a.arg : a.arg.split(/[/\\]/).pop()}`;
  return `${a.kind}${arg}${a.disable.map((d) => ` −${d}`).join("")}`;
}
