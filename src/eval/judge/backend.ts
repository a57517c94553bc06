import type { Message } from "../../data/template.js";
import type { JudgeOutcome } from "./parse.js";

/** Anything that can judge one presented pair: a local GGUF or an OpenAI-compatible server. */
export interface JudgeBackend {
  /** Identity of the judge in cache keys: a change here means a fresh judgement. */
  readonly id: string;
  /** The default `annotator` name written into annotations. */
  readonly name: string;
  /** How many judgements may run at once. */
  readonly concurrency: number;
  /** Judges the pair shown in `messages`; labels[0] names the first output shown. */
  judge(messages: Message[], labels: readonly [string, string], signal?: AbortSignal): Promise<JudgeOutcome>;
  /** Counters for the run summary (e.g. HTTP retries). */
  stats?(): Record<string, number>;
  dispose?(): Promise<void>;
}
