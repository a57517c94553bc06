import { withAbortFlag } from "../bindings/abortFlag.js";
import { callNative } from "../bindings/loadAddon.js";
import { InvalidOptionError } from "../errors.js";
import type { Model } from "./Model.js";
import type { RuleSpec } from "../rules/spec.js";
import { checkInt } from "../util/numbers.js";

export interface ScoreItem {
  /** The full token sequence (BOS included if wanted). */
  tokens: number[];
  /** Index of the first token to score; earlier tokens are context only. Defaults to `1`. */
  from?: number;
}

export interface ScoreOptions {
  /** How many of the most likely tokens to return at each scored position and after the sequence. Defaults to `0`. */
  topK?: number;
  /**
   * Score under the rule adapter: log_softmax(logits + rule scores), the product distribution that
   * generation with these rules samples from (tokens before `from` are the prompt).
   */
  rules?: RuleSpec;
  signal?: AbortSignal;
}

export interface TopToken {
  token: number;
  logprob: number;
}

export interface ScoreResult {
  /** log p(tokens[i] | tokens[<i]) for i = from … end. */
  tokenLogprobs: number[];
  /** top[j]: the `topK` most likely tokens at position from + j (the last entry: after the sequence), best first. */
  top: TopToken[][];
  /** The `topK` most likely tokens after the sequence (= the last entry of `top`). */
  topNext: TopToken[];
}

/** Teacher-forced log-probabilities (judge labels, response ranking, server logprobs). */
export async function scoreSequences(
  model: Model,
  items: ScoreItem[],
  opts: ScoreOptions = {},
): Promise<ScoreResult[]> {
  if (items.length === 0) return [];
  const topK = opts.topK ?? 0;
  checkInt(topK, "topK", { min: 0 });
  const longest = Math.max(...items.map((i) => i.tokens.length));
  if (longest === 0) throw new InvalidOptionError("INVALID_OPTION", "cannot score an empty sequence");
  const rules = opts.rules ? model.rulesFor(opts.rules).native : undefined;
  const ctx = model._contextFor(longest);
  return withAbortFlag(opts.signal, async (abortFlag) => {
    const out = await callNative(() =>
      ctx.score(
        items.map((i) => Int32Array.from(i.tokens)),
        items.map((i) => i.from ?? 1),
        topK,
        abortFlag,
        rules,
      ),
    );
    return out.map((r) => {
      const top = r.top.map((flat) => {
        const row: TopToken[] = [];
        for (let k = 0; k < flat.length; k += 2) row.push({ token: flat[k], logprob: flat[k + 1] });
        return row;
      });
      return { tokenLogprobs: Array.from(r.tokenLogprobs), top, topNext: top.at(-1) ?? [] };
    });
  });
}
