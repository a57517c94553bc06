import { z } from "zod";

/**
 * Scores reach the sampler as 32-bit floats, and a slope is multiplied by up to 2^31 positions: past
 * ±1e20 a value would overflow there (and no rule needs it: a score of 1e3 already decides alone).
 */
const SCORE_MAX = 1e20;
const FINITE = { error: "must be a finite number within ±1e20" };
const score = () => z.number(FINITE).min(-SCORE_MAX, FINITE).max(SCORE_MAX, FINITE);

/**
 * A rule spec: the rule-based expert multiplied with the base model (product of experts). Each rule's
 * scores are summed into one vector r, and sampling uses log_softmax(base) + log_softmax(r).
 * Field defaults are the paper's (`hewitt2024`).
 */
export const eosRuleSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Score per generated token: slope × n for start < n < end. */
    slope: score().default(0.06),
    start: z
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(0),
    end: z
      .int()
      .min(1)
      .max(2 ** 31 - 1)
      .default(250),
    /** After `end`: "reset" to 0 (the paper's code, kept for fidelity) or "hold" slope × end. */
    after: z.enum(["reset", "hold"]).default("reset"),
    /** After this many generated tokens EOS gets `hardStopScore` (null = never). */
    hardStopAfter: z
      .int()
      .min(1)
      .max(2 ** 31 - 1)
      .nullable()
      .default(null),
    hardStopScore: score().default(100),
    /** "eos": only the model's EOS (the paper's code); "eog": every end-of-generation token. */
    tokens: z.enum(["eog", "eos"]).default("eos"),
  })
  .strict()
  .refine((r) => r.end > r.start, { message: "end must be greater than start", path: ["end"] });

export const repetitionRuleSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Added once for every distinct token id already present in the scope. */
    penalty: score().default(-1.5),
    /** "after-user-tag": instruction + template + response (the paper's code); "response": generated tokens only. */
    scope: z.enum(["after-user-tag", "response"]).default("after-user-tag"),
  })
  .strict();

export const tokenScoreSchema = z.object({ text: z.string().min(1), score: score() }).strict();

export const tokensRuleSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Token text resolved against the model's vocabulary (see README: token resolution). */
    scores: z.array(tokenScoreSchema).default([]),
  })
  .strict();

export const startRuleSchema = z
  .object({
    /** The paper code's fourth rule: push the response to begin with " Okay!"; off in the paper's runs. */
    enabled: z.boolean().default(false),
  })
  .strict();

export const ruleSpecSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1).default("custom"),
    description: z.string().optional(),
    eos: eosRuleSchema.prefault({ enabled: false }),
    repetition: repetitionRuleSchema.prefault({ enabled: false }),
    tokens: tokensRuleSchema.prefault({ enabled: false }),
    start: startRuleSchema.prefault({ enabled: false }),
  })
  .strict();

export type RuleSpec = z.output<typeof ruleSpecSchema>;
export type RuleSpecInput = z.input<typeof ruleSpecSchema>;
export type RuleName = "eos" | "repetition" | "tokens" | "start";
export const RULE_NAMES: RuleName[] = ["eos", "repetition", "tokens", "start"];
