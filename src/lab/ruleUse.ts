// Which rules of a rule file act at all: an ablation that switches off a rule the file does not use
// is the full rule arm again (the same scores on every token), so it cannot differ from it.
import { RULE_NAMES, type RuleName, type RuleSpec } from "../rules/spec.js";

/** Whether `name` changes any score in `spec` (an enabled rule whose numbers are all zero does not). */
export function ruleUsed(spec: RuleSpec, name: RuleName): boolean {
  switch (name) {
    case "eos":
      return spec.eos.enabled && (spec.eos.slope !== 0 || spec.eos.hardStopAfter !== null);
    case "repetition":
      return spec.repetition.enabled && spec.repetition.penalty !== 0;
    case "tokens":
      return spec.tokens.enabled && spec.tokens.scores.some((s) => s.score !== 0);
    case "start":
      return spec.start.enabled;
  }
}

/** The rules `spec` uses, in RULE_NAMES order. */
export const rulesUsed = (spec: RuleSpec): RuleName[] => RULE_NAMES.filter((n) => ruleUsed(spec, n));

/** Of the rules an ablation switches off, those the full file does not use. */
export const unusedOf = (spec: RuleSpec, disabled: readonly string[]): RuleName[] =>
  RULE_NAMES.filter((n) => disabled.includes(n) && !ruleUsed(spec, n));
