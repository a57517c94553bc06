import type { RuleSpecInput } from "./spec.js";

/** The 15 fixed token scores of the paper's final code (paper.md §1.3), as token text. */
export const HEWITT2024_TOKEN_SCORES = [
  { text: "<", score: -4 },
  { text: " <", score: -4 },
  { text: "|", score: -4 },
  { text: " I", score: -5 },
  { text: "I", score: -5 },
  { text: " We", score: -3 },
  { text: "What", score: -5 },
  { text: " should", score: -6 },
  { text: " *", score: 1 },
  { text: " -", score: 1 },
  { text: "   ", score: 1 },
  { text: " #", score: 1 },
  { text: " ##", score: 1 },
  { text: "\n", score: 1 },
  { text: "!", score: 1 },
];

/** `--add_rule_based_helper eos-uniform-diversity` of the paper's code: all three rules, start rule off. */
export const hewitt2024: RuleSpecInput = {
  name: "hewitt2024",
  description: "Hewitt et al. 2024, rule-based adapter (eos-uniform-diversity)",
  // The code raises tokenizer.eos_token_id only; "eog" (every end-of-generation token) is the option below.
  eos: { enabled: true, slope: 0.06, start: 0, end: 250, after: "reset", tokens: "eos" },
  repetition: { enabled: true, penalty: -1.5, scope: "after-user-tag" },
  tokens: { enabled: true, scores: HEWITT2024_TOKEN_SCORES },
  start: { enabled: false },
};

export const PRESETS: Record<string, RuleSpecInput> = {
  hewitt2024,
  // The paper's single-rule ablations (Table 4): one rule removed each.
  "hewitt2024-no-eos": { ...hewitt2024, name: "hewitt2024-no-eos", eos: { ...hewitt2024.eos, enabled: false } },
  "hewitt2024-no-repetition": {
    ...hewitt2024,
    name: "hewitt2024-no-repetition",
    repetition: { ...hewitt2024.repetition, enabled: false },
  },
  "hewitt2024-no-tokens": {
    ...hewitt2024,
    name: "hewitt2024-no-tokens",
    tokens: { ...hewitt2024.tokens, enabled: false },
  },
  // Not the paper's: the EOS rule raises every end-of-generation token (e.g. Llama-3's <|eot_id|> too).
  "hewitt2024-eog": {
    ...hewitt2024,
    name: "hewitt2024-eog",
    description: "hewitt2024 with the EOS rule on every end-of-generation token (not the paper's)",
    eos: { ...hewitt2024.eos, tokens: "eog" },
  },
};
