import type { Message } from "../data/template.js";
import type { RuleSpec } from "../rules/spec.js";

/** Template names, in the order the CLI lists them: the one list the library, the CLI and the config read. */
export const TEMPLATE_NAMES = ["tulu", "model", "raw"] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** An instruction string, or a conversation whose last turn is the user's. */
export type PromptInput = string | { instruction: string; messages?: Message[] };

export interface GenerateOptions {
  /** How prompts become tokens: the paper's Tulu format, the GGUF's chat template, or raw text. Defaults to `"tulu"`. */
  template?: TemplateName;
  /** Token budget per prompt. Defaults to `512`. */
  maxTokens?: number;
  /** 0 = greedy. Defaults to `0`. */
  temperature?: number;
  /** Defaults to `0` (off). */
  topK?: number;
  /** Defaults to `1` (off). */
  topP?: number;
  /** Defaults to `0` (off). */
  minP?: number;
  /** RNG seed of every sequence (each prompt restarts from it, so batching does not shift the random stream; see docs/guarantees.md on --parallel). Defaults to `42`. */
  seed?: number;
  /** Generation ends before the first occurrence of any of these. Defaults to none. */
  stop?: string[];
  /** Keep generating past end-of-generation tokens (benchmarks; llama.cpp's --ignore-eos). Defaults to `false`. */
  ignoreEos?: boolean;
  /** Sequences decoded together in one context. Defaults to `1`. */
  parallel?: number;
  /** Context size of each sequence (prompt + output). Defaults to min(training context, 4096). */
  contextSize?: number;
  /** Tokens per decode call. Defaults to `512`. */
  batchSize?: number;
  /** The rule-based adapter (product of experts), e.g. `loadRules("hewitt2024")`. Defaults to none. */
  rules?: RuleSpec;
  /**
   * Other models multiplied in as experts: each adds weight × log_softmax(its logits), decoding the same
   * tokens in lockstep (the paper code's combined model). They must share the base model's vocabulary.
   */
  experts?: { model: import("./Model.js").Model; weight: number }[];
  signal?: AbortSignal;
  /**
   * One signal per prompt: when prompt i's fires, it ends at its next token (stopReason `"aborted"`) and
   * its sequence's slot goes to the next waiting prompt; the others go on.
   */
  promptSignals?: (AbortSignal | undefined)[];
  /**
   * Sequences the context is made for, when more than the prompts (at least `parallel`'s effective value):
   * a server keeps one context for batches of any size instead of re-creating it when the size changes.
   */
  contextSlots?: number;
  /** Called for every generated token (streams; costs a JS call per token). */
  onToken?: (index: number, token: number) => void;
  /** Called as soon as each prompt finishes, in completion order. */
  onResult?: (index: number, result: GenerationResult) => void;
  /**
   * Called once the generation runs, with a handle that adds prompts to it while it runs (continuous
   * batching: they take the next free sequence, with these options; their results come through
   * `onResult` and `onToken` under the indices `append` returns, not in the returned array).
   */
  onStart?: (handle: GenerationHandle) => void;
  /**
   * Called with each sampled token's logprob and the `logprobs` likeliest alternatives, the
   * end-of-generation token included, under the rules when there are (streams' logprobs).
   */
  onLogprobs?: (
    index: number,
    lp: { token: number; logprob: number; top: { token: number; logprob: number }[] },
  ) => void;
  /** Alternatives per token for `onLogprobs`. Defaults to `0`. */
  logprobs?: number;
}

export type StopReason = "eos" | "max_tokens" | "stop_string" | "context_full" | "aborted";

/** Adds prompts to a running generation (see GenerateOptions.onStart). */
export interface GenerationHandle {
  /**
   * The indices the prompts get, or null when the generation has already ended (nothing was added).
   * Each must fit the context like the first prompts (else a typed error, and nothing is added). A prompt
   * appended while the whole generation is aborted or fails gets no result.
   */
  append(prompts: PromptInput[], signals?: (AbortSignal | undefined)[]): number[] | null;
}

export interface GenerationResult {
  instruction: string;
  output: string;
  tokens: number[];
  nPromptTokens: number;
  stopReason: StopReason;
}
