// What one request asks of the engine and what it gets back (src/serve/engine.ts runs them).
import type { GenerateOptions, GenerationResult, PromptInput, TemplateName } from "../model/generationTypes.js";

/** Sampling settings of one request; requests with equal settings share a batch. */
export type JobSettings = Pick<
  GenerateOptions,
  "maxTokens" | "temperature" | "topK" | "topP" | "minP" | "seed" | "stop" | "rules" | "ignoreEos"
> & {
  template: TemplateName;
};

export interface Job {
  prompt: PromptInput;
  promptTokens: number[];
  settings: JobSettings;
  /** Alternatives per output token; −1 = no logprobs. */
  topLogprobs: number;
  /** Each token as it is generated (a streamed request). */
  onToken?: (token: number) => void;
  /** Each token's logprobs as it is generated (a streamed request with logprobs; then none in the result). */
  onLogprobs?: (lp: TokenLogprobs) => void;
}

export type TokenLogprobs = TokenInfo & { top: TokenInfo[] };

export interface TokenInfo {
  id: number;
  text: string;
  bytes: number[];
  logprob: number;
}

export interface JobResult {
  result: GenerationResult;
  /** One entry per output token (plus the stop token, with empty text, when generation ended on it). */
  logprobs?: TokenLogprobs[];
}

export interface Pending {
  job: Job;
  key: string;
  cancelled: boolean;
  /** Ends this job's sequence at its next token when its client goes away mid-batch. */
  stop: AbortController;
  resolve: (r: JobResult) => void;
  reject: (e: unknown) => void;
}
