// fitRules(): a rule spec fitted to a base model on a dev set. Every evaluation is one batched greedy
// generation of the dev prompts under a candidate spec, scored by the scorer, and kept in a cache on
// disk, so a rerun or a resume after Ctrl-C pays only for evaluations not yet done.
import { AbortError, IitError, RuleFitError } from "../../errors.js";
import { hashJson } from "../../util/hash.js";
import { GENERATION_DEFAULTS } from "../../model/generationDefaults.js";
import type { TemplateName } from "../../model/generationTypes.js";
import type { Model } from "../../model/Model.js";
import { sha256File } from "../../util/sha256File.js";
import { parseRuleSpec } from "../loadRules.js";
import type { RuleSpecInput } from "../spec.js";
import { EvalCache, evalKey, type CachedEval } from "./cache.js";
import { discoverCandidates, losingTokens, mergeCandidates, openingTokens, type Candidate } from "./candidates.js";
import type { RuleScore, RuleScorer, ScoredOutput } from "./scorers.js";
import { coordinateSearch, type Dropped, type SearchResult } from "./search.js";
import { ruleSpace, specOf, startPoint, TOKEN_PREFIX, type Coordinate, type Point } from "./space.js";

/**
 * Changes whenever the same dev set, budget and seed would fit a different file (2: pruning; 3: candidates
 * found again under the best rules; 4: parsimony after the tiebreak, not before it; 5: tokens that open
 * passing answers join as candidates to raise; 6: a rule is kept only when its dev gain is significant,
 * `keepAt`; 7: that test also when the budget stopped the search). Cached fits key on it.
 */
export const FIT_METHOD_VERSION = 7;

/** The default significance a rule's dev gain must reach to be kept (search.ts, `keepAt`). */
export const FIT_KEEP_AT = 0.05;

export interface FitRulesOptions {
  /** The base model (loaded with the threads to use). */
  model: Model;
  /** What is maximised; it holds the dev prompts. */
  scorer: RuleScorer;
  /** Token budget per dev answer. Defaults to the generation default (512). */
  maxTokens?: number;
  /** Defaults to `"tulu"` (the chat template the rules are applied under). */
  template?: TemplateName;
  /** Dev prompts decoded together. Part of the cache key: batching is not bit-exact (docs/guarantees.md). Defaults to `16`. */
  parallel?: number;
  /** Orders the candidate tokens in the search. Defaults to `1`. */
  seed?: number;
  /** Evaluations at most (distinct specs, the empty one included). Defaults to `60`. */
  maxEvals?: number;
  /** Start no evaluation after this many seconds (the result then depends on the machine's speed). Defaults to none. */
  seconds?: number;
  /** Token texts to add to the discovered ones, or with `onlyCandidates` to use instead of them. */
  candidates?: string[];
  onlyCandidates?: boolean;
  /** At equal dev score and tiebreak prefer fewer rules on, so a rule that others made redundant is switched off. Defaults to `true`. */
  prune?: boolean;
  /**
   * Keep a rule only when the dev prompts it gains outnumber those it loses beyond chance: exact two-sided
   * sign test at this level, paired by prompt (needs the scorer's `perPrompt`). `1` keeps every rule that
   * raises the dev score. Defaults to {@link FIT_KEEP_AT}.
   */
  keepAt?: number;
  /** Discovered candidates at most. Defaults to `8`. */
  maxCandidates?: number;
  /** Evaluation cache (JSONL); `null` = memory only. */
  cache: string | null;
  /** The fitted spec's name. Defaults to `"fitted"`. */
  name?: string;
  /** The model file's sha256 when the caller knows it (hashing a 7 GB model takes a while). Defaults to hashing it. */
  modelSha?: string;
  /** Where the dev set came from, for the description. */
  devSource?: string;
  signal?: AbortSignal;
  /** After each evaluation: how many so far (cached included), the budget, and the best score. */
  onEval?: (e: { n: number; maxEvals: number; score: RuleScore; best: RuleScore; cached: boolean }) => void;
}

export interface FitRulesResult {
  spec: RuleSpecInput;
  score: RuleScore;
  /** The empty spec's score: the base under the chat template. */
  base: RuleScore;
  evals: number;
  /** Evaluations answered by the cache. */
  cached: number;
  seconds: number;
  stopped: SearchResult["stopped"];
  curve: number[];
  /** Rules switched on during the search and off again because removing them lowered neither the dev score nor its tiebreak (`eos.slope`, `token:TEXT`, …). */
  pruned: string[];
  /** Rules switched off because their dev gain was not significant at `keepAt`, with its counts. */
  dropped: Dropped[];
  candidates: (Candidate & { id: number })[];
  /** Candidate texts that are not one token of this vocabulary (left out). */
  unresolved: string[];
  devHash: string;
  modelSha: string;
}

export async function fitRules(opts: FitRulesOptions): Promise<FitRulesResult> {
  const t0 = performance.now();
  const { model, scorer } = opts;
  const generation = {
    maxTokens: opts.maxTokens ?? GENERATION_DEFAULTS.maxTokens,
    template: opts.template ?? GENERATION_DEFAULTS.template,
    parallel: opts.parallel ?? 16,
  };
  const maxEvals = opts.maxEvals ?? 60;
  const devHash = hashJson(scorer.prompts);
  const modelSha = opts.modelSha ?? (await sha256File(model.path));
  const cache = await EvalCache.open(opts.cache);
  // Specs answered by the cache file (written by an earlier run), and specs generated in this run.
  const fromDisk = new Set<string>();
  const madeHere = new Set<string>();
  let base: ScoredOutput[] = [];
  let lastKey = "";

  const generate = async (spec: RuleSpecInput): Promise<ScoredOutput[]> => {
    const rows = await model.generate(scorer.prompts, {
      ...generation,
      temperature: 0,
      rules: parseRuleSpec(spec),
      signal: opts.signal,
    });
    return rows.map((r) => ({ output: r.output, tokens: r.tokens, stopReason: r.stopReason }));
  };

  const evaluate = async (spec: RuleSpecInput, keepOutputs = false): Promise<CachedEval> => {
    const key = evalKey({ spec, modelSha, devHash, scorer: scorer.id, generation });
    const hit = cache.get(key);
    if (hit && (!keepOutputs || hit.outputs)) {
      if (!madeHere.has(key)) fromDisk.add(key);
      return hit;
    }
    if (opts.signal?.aborted) throw new AbortError();
    const outputs = await generate(spec);
    let s: RuleScore;
    try {
      s = await scorer.score(outputs, { base: base.length ? base : outputs, signal: opts.signal });
    } catch (e) {
      if (e instanceof AbortError || opts.signal?.aborted) throw e instanceof AbortError ? e : new AbortError();
      throw new RuleFitError(
        "FIT_SCORER_FAILED",
        `the scorer ${scorer.id} failed on the dev outputs: ${(e as Error).message}`,
        {
          cause: e,
          suggestion:
            e instanceof IitError && e.suggestion
              ? e.suggestion
              : "fix the scorer (or its judge) and rerun: evaluations already scored are cached",
        },
      );
    }
    if (!Number.isFinite(s.score) || !Number.isFinite(s.tiebreak)) {
      throw new RuleFitError(
        "FIT_SCORER_FAILED",
        `the scorer ${scorer.id} returned a score that is not a finite number (${s.score}, tiebreak ${s.tiebreak})`,
      );
    }
    const entry: CachedEval = {
      key,
      score: s.score,
      tiebreak: s.tiebreak,
      ...(s.detail ? { detail: s.detail } : {}),
      ...(s.perPrompt ? { perPrompt: s.perPrompt } : {}),
      ...(keepOutputs ? { outputs } : {}),
    };
    await cache.put(entry);
    madeHere.add(key);
    return entry;
  };

  try {
    // The base's own answers: the reference of judge scorers, and where candidate tokens are found.
    const empty = await evaluate(specOf({}), true);
    base = empty.outputs as ScoredOutput[];
    const piecesOf = (out: ScoredOutput) => out.tokens.map((t) => model.detokenize([t]));
    const unresolved: string[] = [];
    const resolve = (wanted: Candidate[]) => {
      const ids = model.resolveTokens(wanted.map((c) => c.text));
      unresolved.push(...wanted.filter((_, i) => ids[i] < 0).map((c) => c.text));
      return wanted.map((c, i) => ({ ...c, id: ids[i] })).filter((c) => c.id >= 0);
    };
    const max = opts.maxCandidates ?? 8;
    const candidates: (Candidate & { id: number })[] = [];
    /** Resolves the texts not yet candidates, keeps them, and returns their coordinates. */
    const addCandidates = (found: Candidate[]): Coordinate[] => {
      const fresh = found.filter((c, i) => found.findIndex((x) => x.text === c.text) === i);
      const added = resolve(fresh.filter((c) => !candidates.some((x) => x.text === c.text)));
      candidates.push(...added);
      return ruleSpace(
        added.map((c) => c.text),
        generation.maxTokens,
      ).filter((c) => c.name.startsWith(TOKEN_PREFIX));
    };
    let extend: ((best: Point, bestScore: RuleScore) => Promise<Coordinate[]>) | undefined;
    if (scorer.failures) {
      // The scorer says where each answer goes wrong: the base's answers give the first candidates; once
      // the search has vetoed those, the answers under the best rules so far fail at other tokens (the
      // base asked "is X green?" before, now "which animal is X?"), which join as candidates in turn.
      const failures = (outs: ScoredOutput[]) => {
        const failAt = scorer.failures!(outs);
        return outs.map((o, i) => ({ pieces: piecesOf(o), failAt: failAt[i] }));
      };
      addCandidates(
        mergeCandidates(discoverCandidates(failures(base), max), opts.candidates, opts.onlyCandidates ?? false),
      );
      if (!opts.onlyCandidates) {
        extend = async (best) => {
          const under = (await evaluate(specOf(best), true)).outputs as ScoredOutput[];
          const found = failures(under);
          const later = discoverCandidates(found, max)
            .filter((c) => c.source === "first failure")
            .map((c): Candidate => ({ ...c, source: "first failure under rules" }));
          // Vetoes leave the base to choose among what is left; a boost can pick the form that passes.
          const passed = scorer.passes?.(under);
          const opening = passed ? openingTokens(found.map((f, i) => ({ pieces: f.pieces, passed: passed[i] }))) : [];
          return addCandidates([...later, ...opening]);
        };
      }
    } else {
      // A judge only says which answer of a pair is better: search EOS and repetition first, then take the
      // tokens over-represented in the answers that lose (the best rules' or the base's), then markers
      // and repeats of the base's answers.
      let first = true;
      extend = async (best, bestScore) => {
        const spec = specOf(best);
        const ours = bestScore.perPrompt ? await generate(spec) : base;
        const pref = bestScore.perPrompt ?? base.map(() => 0.5);
        const judged = pref.flatMap((p, i) => [
          { pieces: piecesOf(ours[i]), lost: p < 0.5, won: p > 0.5 },
          { pieces: piecesOf(base[i]), lost: p > 0.5, won: p < 0.5 },
        ]);
        const found = [
          ...losingTokens(judged, max),
          ...discoverCandidates(
            base.map((b) => ({ pieces: piecesOf(b), failAt: null })),
            max,
          ),
        ];
        const unique = found.filter((c, i) => found.findIndex((x) => x.text === c.text) === i).slice(0, max);
        // --candidates join the first round's; with --only-candidates they are all there is.
        const merged = first
          ? mergeCandidates(unique, opts.candidates, opts.onlyCandidates ?? false)
          : opts.onlyCandidates
            ? []
            : unique;
        first = false;
        return addCandidates(merged);
      };
    }

    const space = ruleSpace(
      candidates.map((c) => c.text),
      generation.maxTokens,
    );
    const result = await coordinateSearch({
      space,
      start: startPoint(space, generation.maxTokens),
      seed: opts.seed ?? 1,
      maxEvals,
      prune: opts.prune,
      keepAt: opts.keepAt ?? FIT_KEEP_AT,
      deadline: opts.seconds === undefined ? undefined : Date.now() + opts.seconds * 1000,
      signal: opts.signal,
      keyOf: (p) => hashJson(specOf(p)),
      extend,
      evaluate: async (p: Point) => {
        const e = await evaluate(specOf(p));
        lastKey = e.key;
        return {
          score: e.score,
          tiebreak: e.tiebreak,
          ...(e.detail ? { detail: e.detail } : {}),
          ...(e.perPrompt ? { perPrompt: e.perPrompt } : {}),
        };
      },
      onEval: ({ n, score, best }) => opts.onEval?.({ n, maxEvals, score, best, cached: fromDisk.has(lastKey) }),
    });
    const seconds = (performance.now() - t0) / 1000;
    const description = describe({ ...opts, maxEvals }, result, candidates, devHash, scorer.id);
    const spec = specOf(result.best, opts.name ?? "fitted", description);
    parseRuleSpec(spec, "the fitted spec");
    const strip = ({ score, tiebreak, detail }: RuleScore) => ({ score, tiebreak, ...(detail ? { detail } : {}) });
    return {
      spec,
      score: strip(result.bestScore),
      base: strip(result.startScore),
      evals: result.evals,
      cached: fromDisk.size,
      seconds,
      stopped: result.stopped,
      curve: result.curve,
      pruned: result.pruned,
      dropped: result.dropped,
      candidates: candidates.filter((c) => result.best[TOKEN_PREFIX + c.text] !== undefined),
      unresolved,
      devHash,
      modelSha,
    };
  } finally {
    await cache.close();
  }
}

const fmt = (v: number) => Number(v.toFixed(4)).toString();

/**
 * The fitted file's own account of where it came from: dev set, budget, score curve, each token's
 * source. No wall time: the same fit writes the same bytes.
 */
function describe(
  opts: Pick<FitRulesOptions, "devSource" | "seed" | "seconds" | "keepAt"> & { maxEvals: number },
  r: SearchResult,
  candidates: Candidate[],
  devHash: string,
  scorer: string,
): string {
  const tokens = candidates
    .filter((c) => (r.best[TOKEN_PREFIX + c.text] ?? 0) !== 0)
    .map((c) => `${JSON.stringify(c.text)} (${c.source}${c.count ? `, ${c.count} outputs` : ""})`);
  return (
    `Fitted by iit rules fit with scorer ${scorer} on ${opts.devSource ?? "a dev set"} (sha256 ${devHash.slice(0, 16)}), ` +
    `seed ${opts.seed ?? 1}, budget ${opts.maxEvals} evaluations${opts.seconds === undefined ? "" : ` or ${opts.seconds} s`}; ` +
    `${r.evals} evaluations (${r.stopped}); dev score ${fmt(r.startScore.score)} (no rules) -> ${fmt(r.bestScore.score)}. ` +
    `Best score after each evaluation${r.dropped.length ? " (before the significance test)" : ""}: ${r.curve.map(fmt).join(" ")}. ` +
    `Pruned (their removal lowered neither the dev score nor its tiebreak): ${r.pruned.join(", ") || "none"}. ` +
    `Dropped (dev gain not significant at ${opts.keepAt ?? FIT_KEEP_AT}, exact two-sided sign test paired by prompt): ${
      r.dropped
        .map(
          (d) => `${d.rule} (${d.gained} dev prompt${d.gained === 1 ? "" : "s"} gained, ${d.lost} lost, p ${fmt(d.p)})`,
        )
        .join(", ") || "none"
    }. ` +
    `Candidate tokens: ${candidates.map((c) => `${JSON.stringify(c.text)} (${c.source})`).join(", ") || "none"}; scored: ${tokens.join(", ") || "none"}.`
  );
}
