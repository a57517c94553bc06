import { seededRandom } from "../../util/random.js";
import { readMessagesJsonl, type MessagesRow } from "../../data/messages.js";
import { tuluPrompt } from "../../data/template.js";
import { AbortError, DatasetError, InvalidOptionError } from "../../errors.js";
import type { Model } from "../../model/Model.js";
import type { RuleSpec } from "../../rules/spec.js";

export interface RankingOptions {
  /** Messages JSONL of (instruction, response) pairs (the paper: Stanford Alpaca training data). */
  data: string;
  /** Random other responses each true response is compared with. Defaults to `5`. */
  k?: number;
  /** Only the first N examples. Defaults to `1000`. */
  maxExamples?: number;
  /** Seed of the random choice of other responses. Defaults to `0`. */
  seed?: number;
  /** Longest scored sequence in tokens (longer ones are truncated). Defaults to `1024`. */
  maxSeqLength?: number;
  /** Rank under the rule-adapted model (the product distribution its generation samples from). */
  rules?: RuleSpec;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface RankingResult {
  model: string;
  loras: { path: string; scale: number }[];
  /** The rule spec's name when ranked under rules. */
  rules?: string;
  examples: number;
  /** (true, random) comparisons made: k per example. */
  comparisons: number;
  wins: number;
  /** Fraction of comparisons in which the true response has the higher length-normalised likelihood. */
  fraction: number;
  k: number;
  seed: number;
  /** Examples left out (no response, or the prompt alone fills maxSeqLength). */
  skipped: number;
}

function pair(row: MessagesRow): { instruction: string; response: string } | null {
  const u = row.messages.find((m) => m.role === "user");
  const a = row.messages.find((m) => m.role === "assistant");
  return u && a?.content.trim() ? { instruction: u.content, response: a.content } : null;
}

/**
 * Paper §4.2 (`ratio_eval.py`): for each instruction, its true response against k random responses of
 * other examples, each scored as the mean token log-probability of response + EOS given the Tulu
 * prompt. Returns the fraction of comparisons the true response wins.
 */
export async function rankResponses(model: Model, opts: RankingOptions): Promise<RankingResult> {
  const k = opts.k ?? 5;
  const seed = opts.seed ?? 0;
  const maxLen = opts.maxSeqLength ?? 1024;
  if (!Number.isInteger(k) || k < 1)
    throw new InvalidOptionError("INVALID_OPTION", `k must be a positive integer, got ${k}`);
  const rows = (await readMessagesJsonl(opts.data)).slice(0, opts.maxExamples ?? 1000);
  const pairs = rows.map(pair).filter((p): p is NonNullable<typeof p> => p !== null);
  if (pairs.length < 2)
    throw new DatasetError(
      "DATA_EMPTY",
      `${opts.data}: response ranking needs at least 2 (instruction, response) pairs, found ${pairs.length}`,
    );
  const rand = seededRandom(seed);
  const meta = model.meta;
  const bos = model.bosPrefix;
  const eos = meta.eos >= 0 ? [meta.eos] : [];
  let wins = 0;
  let comparisons = 0;
  let skipped = 0;
  let examples = 0;
  for (let i = 0; i < pairs.length; i++) {
    if (opts.signal?.aborted) throw new AbortError();
    const others: number[] = [];
    while (others.length < k) {
      const j = Math.floor(rand() * pairs.length);
      if (j !== i) others.push(j);
    }
    const prompt = tuluPrompt(pairs[i].instruction);
    const from = bos.length + model.tokenize(prompt).length;
    if (from >= maxLen) {
      skipped++;
      continue;
    }
    const seqs = [i, ...others].map((j) =>
      [...bos, ...model.tokenize(prompt + pairs[j].response.trim()), ...eos].slice(0, maxLen),
    );
    const scored = await model.score(
      seqs.map((tokens) => ({ tokens, from })),
      { signal: opts.signal, ...(opts.rules ? { rules: opts.rules } : {}) },
    );
    const norm = scored.map((r) => r.tokenLogprobs.reduce((a, b) => a + b, 0) / Math.max(1, r.tokenLogprobs.length));
    for (let c = 1; c < norm.length; c++) {
      comparisons++;
      if (norm[0] > norm[c]) wins++;
    }
    examples++;
    opts.onProgress?.(i + 1, pairs.length);
  }
  return {
    model: model.name,
    loras: model.loras.map((l) => ({ path: l.path, scale: l.scale })),
    ...(opts.rules ? { rules: opts.rules.name } : {}),
    examples,
    comparisons,
    wins,
    fraction: comparisons ? wins / comparisons : Number.NaN,
    k,
    seed,
    skipped: skipped + (rows.length - pairs.length),
  };
}
