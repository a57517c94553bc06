import { SamplerConfigError } from "../errors.js";
import { USER_TAG } from "../data/template.js";
import type { Model } from "./Model.js";
import type { NativeRules } from "../bindings/AddonTypes.js";
import type { RuleSpec } from "../rules/spec.js";

export interface ResolvedRules {
  native: NativeRules;
  /** Fixed scores that resolved to one token of this vocabulary. */
  tokens: { id: number; text: string; score: number }[];
  /** Texts that are not a single token of this vocabulary (their scores are not applied). */
  unresolved: string[];
  /** The token ids the EOS rule raises. */
  eosIds: number[];
  userTagIds: number[];
}

/**
 * The user tag as it appears inside a prompt: the tokens of "\n<|user|>\n" without those that spell
 * the leading newline and without the tag's first token, whose form depends on what precedes it
 * (after BOS SentencePiece writes "▁<", after a newline "<"). On Llama-2 this is the 5 ids the
 * paper's code matches: "|", "user", "|", ">", "\n".
 */
export function userTagTokens(model: Model, tag = USER_TAG): number[] {
  const toks = model.tokenize(`\n${tag}\n`);
  let i = 0;
  while (i < toks.length && model.detokenize(toks.slice(i)) !== `${tag}\n`) i++;
  if (i >= toks.length) return model.tokenize(`${tag}\n`).slice(1);
  return toks.slice(i + 1);
}

/**
 * The unresolved token texts for a warning, capped: a rule file of thousands of long texts made a
 * 1.4 MB warning. `iit rules show --json` lists them all.
 */
export function listUnresolved(texts: string[], max = 10, chars = 40): string {
  const shown = texts.slice(0, max).map((t) => JSON.stringify(t.length > chars ? `${t.slice(0, chars)}…` : t));
  const more = texts.length - shown.length;
  return (
    shown.join(", ") +
    (more > 0 ? ` and ${more} more (iit rules show -m MODEL --rules FILE --json lists them all)` : "")
  );
}

/**
 * Resolves a validated spec against a model's vocabulary (works on vocab-only models). Callers go through
 * Model.rulesFor, which keeps the result per spec.
 */
export function resolveRules(model: Model, spec: RuleSpec): ResolvedRules {
  const texts = spec.tokens.enabled ? spec.tokens.scores.map((s) => s.text) : [];
  const ids = model.resolveTokens(texts);
  const tokens: ResolvedRules["tokens"] = [];
  const unresolved: string[] = [];
  ids.forEach((id, i) => {
    const { text, score } = spec.tokens.scores[i];
    if (id < 0) unresolved.push(text);
    else tokens.push({ id, text, score });
  });
  const meta = model.meta;
  const eosIds = spec.eos.tokens === "eos" ? [meta.eos].filter((t) => t >= 0) : meta.eogIds;
  if (spec.eos.enabled && eosIds.length === 0) {
    throw new SamplerConfigError("RULES_INVALID", `${model.path} has no EOS token: the EOS rule cannot apply`, {
      suggestion: "disable it with --disable-rule eos",
    });
  }
  const userTagIds = userTagTokens(model);
  return {
    native: {
      eos: spec.eos,
      eosIds,
      repetition: spec.repetition,
      tokens: { enabled: spec.tokens.enabled, ids: tokens.map((t) => t.id), scores: tokens.map((t) => t.score) },
      start: spec.start,
      userTag: Int32Array.from(userTagIds),
    },
    tokens,
    unresolved,
    eosIds,
    userTagIds,
  };
}
