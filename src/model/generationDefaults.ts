// The one place generation defaults live: the library, `iit generate`/`serve` flags, the server's
// request defaults and experiment step hashes all read them from here.
import type { TemplateName } from "./generationTypes.js";

export const GENERATION_DEFAULTS = {
  template: "tulu" as TemplateName,
  maxTokens: 512,
  temperature: 0,
  topK: 0,
  topP: 1,
  minP: 0,
  seed: 42,
  parallel: 1,
  batchSize: 512,
  /** The default context is min(training context, this). */
  maxDefaultContext: 4096,
} as const;
