// The results of an experiment, built from its finished steps' manifests: the one place they are
// aggregated (the aggregate step, `--keep-going` partial results and `iit experiment collect`).
import { join, relative } from "node:path";
import { ExperimentError } from "../errors.js";
import { analyzeLengths, type LengthsResult } from "../eval/analyses/lengths.js";
import { readAnnotations } from "../eval/annotations.js";
import { readGamedData, type GamedData } from "../eval/glm/gamedData.js";
import { computeLengthControlled } from "../eval/lengthControlled.js";
import type { WinRateSummary } from "../eval/winrate.js";
import { labMarkdown, type Finding } from "../lab/results.js";
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
export async function aggregate(c: ExperimentConfig, steps: Step[], allowMissing: boolean): Promise<ExperimentResults> {
  const manifest = (s: Step) => {
    const m = readManifest(s.dir);
    return m && m.hash === s.hash ? m : null;
  };
  const rows = [];
  // AlpacaEval 2's length-controlled rate, from each judge step's annotations (df_gamed read once).
  let gamed: GamedData | undefined;
  const withLengthControlled = async (dir: string, annotationsFile: string, metrics: WinRateSummary) => {
    if (!c.evaluation.lengthControlled) return metrics;
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
      per.push(
        seedResult(
          j.seed!,
          j.id,
          await withLengthControlled(j.dir, m.outputs.annotations, m.result.metrics as WinRateSummary),
        ),
      );
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
      if (!m && !allowMissing)
        throw new ExperimentError("EXPERIMENT_UPSTREAM_MISSING", `step ${s.id} has not finished`);
      return m
        ? [
            {
              arm: s.arm,
              seed: s.seed!,
              path: relative(c.output, join(s.dir, m.outputs.similarity)),
              pearson_r: (m.result.pearson_r as number | null) ?? null,
            },
          ]
        : [];
    });
  const lab = c.evaluation.grader === "lab" ? await labResults(c, steps, manifest) : {};
  return {
    ...lab,
    similarity,
    table: {
      experiment: c.name,
      reference: c.evaluation.reference,
      judge: c.evaluation.judge ?? c.evaluation.grader ?? "",
      both_orders: c.evaluation.bothOrders,
      rows,
    },
    lengths,
    generations,
    config: {
      name: c.name,
      ...(c.description ? { description: c.description } : {}),
      baseModel: c.baseModel,
      source: c.source,
    },
  };
}

export async function writeResults(c: ExperimentConfig, r: ExperimentResults): Promise<ResultFiles> {
  const files = {
    markdown: join(c.output, "results.md"),
    csv: join(c.output, "results.csv"),
    json: join(c.output, "results.json"),
  };
  const md = r.lab
    ? labMarkdown(r.table.experiment, r.lab.rows, r.findings ?? [], r.lab.chance, r.table.reference) +
      (c.evaluation.judge ? "\n" + resultsMarkdown(r.table) : "")
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
  c: ExperimentConfig,
  steps: Step[],
  allowMissing: boolean,
): Promise<{ results: ExperimentResults; files: ResultFiles }> {
  const results = await aggregate(c, steps, allowMissing);
  return { results, files: await writeResults(c, results) };
}

/** The table's Type column: kind, argument (preset or file name) and ablations. */
function armLabel(a: Arm): string {
  const arg =
    a.arg === null ? "" : `:${a.kind === "rules" && !/[/\\]/.test(a.arg) ? a.arg : a.arg.split(/[/\\]/).pop()}`;
  return `${a.kind}${arg}${a.disable.map((d) => ` −${d}`).join("")}`;
}
