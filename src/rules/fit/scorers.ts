// What `iit rules fit` maximises. A scorer sees the dev prompts and one batch of outputs made under a
// candidate rule spec, and returns one number; a user can pass their own from the library.
import type { PromptInput, StopReason } from "../../model/generationTypes.js";

/** One dev output as a scorer sees it. */
export interface ScoredOutput {
  output: string;
  tokens: number[];
  stopReason: StopReason | string;
}

export interface RuleScore {
  /** Higher is better. */
  score: number;
  /** Breaks ties between equal scores (higher is better); 0 when the scorer has none. */
  tiebreak: number;
  /** Anything worth recording (e.g. the lab's correct and clean rates). */
  detail?: Record<string, number>;
  /**
   * Per dev prompt, its part of the score in [0, 1]: the lab's strict (1 or 0), a judge's preference
   * against the base's answer (1 won, 0.5 tie, 0 lost). The fit keeps a rule only when these show its
   * gain beyond chance (`keepAt`), and scorers without failures() find candidate tokens in the answers
   * that lose by them. Without it, no rule is tested.
   */
  perPrompt?: number[];
}

export interface RuleScorer {
  /** Identity in the evaluation cache: change it when the same outputs would score differently. */
  readonly id: string;
  /** The dev prompts, in the order the outputs answer them. */
  readonly prompts: PromptInput[];
  /** Scores outputs[i] as the answer to prompts[i]; `base` holds the base model's own outputs (no rules). */
  score(outputs: ScoredOutput[], context: { base: ScoredOutput[]; signal?: AbortSignal }): Promise<RuleScore>;
  /**
   * Where each output first goes wrong, as a character offset (null: nowhere the rules could help).
   * Candidate discovery reads the tokens at these offsets; scorers without it rely on template
   * markers and repeats.
   */
  failures?(outputs: ScoredOutput[]): (number | null)[];
  /**
   * Whether each output already passes (nothing for a rule to change). With `failures`, lets candidate
   * discovery find tokens to raise: those that open passing answers more often than failing ones.
   */
  passes?(outputs: ScoredOutput[]): boolean[];
  dispose?(): Promise<void>;
}
