import pLimit from "p-limit";
import { AbortError } from "../../errors.js";
import { checkOutputPath } from "../../util/outputPath.js";
import { writeJsonAtomic } from "../../util/atomicWrite.js";
import { existsSync } from "node:fs";
import { readAnnotations, type Annotation } from "../annotations.js";
import { computeWinRate, type WinRateSummary } from "../winrate.js";
import type { JudgeBackend } from "./backend.js";
import { cacheKey, JudgeCache } from "./cache.js";
import { pairFiles, type Pair, type Pairing } from "./pairs.js";
import { isSwitched, unswitch, type JudgeOutcome } from "./parse.js";
import { defaultTemplate, renderTemplate, type JudgeTemplate } from "./template.js";

export interface RunJudgeOptions {
  judge: JudgeBackend;
  /** The model's generations (output_2): an AlpacaEval model_outputs.json. */
  outputs: string;
  /** The reference generations (output_1). */
  reference: string;
  /** Annotations file to write (AlpacaEval format). Defaults to none (the result is returned). */
  output?: string;
  /** JSONL judgement cache. Defaults to `<output>.cache.jsonl`, or memory only without `output`; `false` = memory only. */
  cache?: string | false;
  /** Defaults to our pairwise prompt with labels m, M. */
  template?: JudgeTemplate;
  /** Seed of the per-pair random presentation order. Defaults to `42`. */
  seed?: number;
  /** Judge both presentation orders and average them (twice the calls; no position bias). Defaults to `false`. */
  bothOrders?: boolean;
  /** Only the first n pairs. Defaults to all. */
  limit?: number;
  /** The `annotator` column. Defaults to the judge's name. */
  annotator?: string;
  signal?: AbortSignal;
  /** Called with pairs done (cached included) and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Non-fatal problems: pairs that could not be judged. */
  onWarning?: (message: string) => void;
}

export interface JudgeSummary {
  output: string | null;
  annotator: string;
  judge: string;
  pairs: number;
  /** Judge calls made in this run (0 on a fully cached re-run). */
  judge_calls: number;
  cached: number;
  /** Pairs with identical outputs: 1.5 without a judge call. */
  identical: number;
  /** Pairs whose preference is missing (unparseable answer or an error); dropped from the metrics. */
  missing: number;
  errors: number;
  /** Rows of an existing output file for instructions not judged in this run: kept after this run's rows. */
  kept: number;
  unmatched: Pairing["unmatched"];
  both_orders: boolean;
  seed: number;
  seconds: number;
  aborted: boolean;
  /** Other counters from the judge (HTTP: requests, retries, rate_limited). */
  judge_stats: Record<string, number>;
  metrics: WinRateSummary;
}

interface Job {
  pair: number;
  switched: boolean;
  key: string;
  first: string;
  second: string;
}

/** Judges model outputs against reference outputs into AlpacaEval annotations, resumably. */
export async function runJudge(opts: RunJudgeOptions): Promise<{ annotations: Annotation[]; summary: JudgeSummary }> {
  const t0 = performance.now();
  const template = opts.template ?? defaultTemplate();
  const seed = opts.seed ?? 42;
  const both = opts.bothOrders ?? false;
  const judge = opts.judge;
  const annotator = opts.annotator ?? judge.name;
  if (opts.output) checkOutputPath(opts.output, "-o");
  const pairing = await pairFiles(opts.outputs, opts.reference);
  // Read first: an unreadable file stops the run before any work, and none of its rows is lost.
  const previous = opts.output && existsSync(opts.output) ? await readAnnotations(opts.output) : [];
  const pairs = opts.limit === undefined ? pairing.pairs : pairing.pairs.slice(0, opts.limit);
  const cachePath = opts.cache === false ? null : (opts.cache ?? (opts.output ? `${opts.output}.cache.jsonl` : null));
  const cache = await JudgeCache.open(cachePath);

  const results: (JudgeOutcome | undefined)[][] = pairs.map(() => []);
  const jobs: Job[] = [];
  const identical = new Set<number>();
  let cached = 0;
  for (const [i, p] of pairs.entries()) {
    if (p.output_1 === p.output_2) {
      identical.add(i);
      continue;
    }
    const orders = both ? [false, true] : [isSwitched(p.instruction, seed)];
    orders.forEach((switched, k) => {
      const [first, second] = switched ? [p.output_2, p.output_1] : [p.output_1, p.output_2];
      const key = cacheKey({
        judge: judge.id,
        template: template.text,
        labels: template.labels,
        instruction: p.instruction,
        first,
        second,
      });
      const hit = cache.get(key);
      if (hit) {
        results[i][k] = hit;
        cached++;
      } else jobs.push({ pair: i, switched, key, first, second });
    });
  }

  const remaining = pairs.map((_, i) => (identical.has(i) ? 0 : (both ? 2 : 1) - results[i].filter(Boolean).length));
  let done = remaining.filter((n) => n === 0).length;
  opts.onProgress?.(done, pairs.length);

  const limit = pLimit(judge.concurrency);
  let calls = 0;
  let fatal: unknown;
  const run = async (j: Job) => {
    if (fatal || opts.signal?.aborted) return;
    const p = pairs[j.pair];
    let out: JudgeOutcome;
    try {
      calls++;
      out = await judge.judge(renderTemplate(template, p.instruction, j.first, j.second), template.labels, opts.signal);
    } catch (e) {
      // Queued jobs see `fatal` or the abort and return at once (clearQueue would leave them unsettled).
      if (!(e instanceof AbortError) && !opts.signal?.aborted) fatal ??= e;
      return;
    }
    if (out.error) opts.onWarning?.(`${short(p.instruction)}: ${out.error}`);
    else await cache.put(j.key, judge.id, out);
    results[j.pair][both && j.switched ? 1 : 0] = out;
    if (--remaining[j.pair] === 0) opts.onProgress?.(++done, pairs.length);
  };
  try {
    await Promise.all(jobs.map((j) => limit(run, j)));
  } finally {
    await cache.close();
  }
  if (fatal) throw fatal;

  const aborted = !!opts.signal?.aborted;
  const annotations: Annotation[] = [];
  for (const [i, p] of pairs.entries()) {
    if (identical.has(i))
      annotations.push(row(p, annotator, 1.5, { is_switched_outputs: false, raw_completion: null }));
    else if (remaining[i] > 0)
      continue; // interrupted before this pair was judged
    else
      annotations.push(
        both ? bothRow(p, annotator, results[i] as JudgeOutcome[]) : singleRow(p, annotator, results[i][0]!, seed),
      );
  }
  const judged = new Set(annotations.map((a) => a.instruction));
  const kept = previous.filter((a) => !judged.has(a.instruction));
  if (kept.length)
    opts.onWarning?.(
      `kept ${kept.length} rows of ${opts.output} whose instructions were not judged in this run (not in the metrics below)`,
    );
  if (opts.output) await writeJsonAtomic(opts.output, [...annotations, ...kept]);

  const errors = annotations.filter((a) => typeof a.error === "string").length;
  const summary: JudgeSummary = {
    output: opts.output ?? null,
    annotator,
    judge: judge.id,
    pairs: pairs.length,
    judge_calls: calls,
    cached,
    identical: identical.size,
    missing: annotations.filter((a) => a.preference === null).length,
    errors,
    kept: kept.length,
    unmatched: pairing.unmatched,
    both_orders: both,
    seed,
    seconds: (performance.now() - t0) / 1000,
    aborted,
    judge_stats: judge.stats?.() ?? {},
    metrics: computeWinRate(annotations),
  };
  return { annotations, summary };
}

function row(p: Pair, annotator: string, preference: number | null, extra: Record<string, unknown>): Annotation {
  const { dataset, ...rest } = p;
  return { ...rest, ...(dataset === undefined ? {} : { dataset }), annotator, preference, ...extra };
}

function singleRow(p: Pair, annotator: string, r: JudgeOutcome, seed: number): Annotation {
  const switched = isSwitched(p.instruction, seed);
  return row(p, annotator, unswitch(r.preference, switched), {
    is_switched_outputs: switched,
    raw_completion: r.raw_completion,
    label_logprobs: r.labelLogprobs,
    ...(r.error ? { error: r.error } : {}),
  });
}

/** Both orders averaged; if either is missing the pair is missing (one order alone would bring the bias back). */
function bothRow(p: Pair, annotator: string, [a, b]: JudgeOutcome[]): Annotation {
  const ref = unswitch(a.preference, false);
  const mod = unswitch(b.preference, true);
  const error = [a.error, b.error].filter(Boolean).join("; ");
  return row(p, annotator, ref === null || mod === null ? null : (ref + mod) / 2, {
    is_switched_outputs: null,
    preference_by_order: { reference_first: ref, model_first: mod },
    raw_completion: { reference_first: a.raw_completion, model_first: b.raw_completion },
    label_logprobs: { reference_first: a.labelLogprobs, model_first: b.labelLogprobs },
    ...(error ? { error } : {}),
  });
}

function short(s: string): string {
  const one = s.replace(/\s+/g, " ").trim();
  return JSON.stringify(one.length > 60 ? one.slice(0, 60) + "…" : one);
}
