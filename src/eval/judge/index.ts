import { InvalidOptionError } from "../../errors.js";
import type { TemplateName } from "../../model/generationTypes.js";
import { loadModel } from "../../model/Model.js";
import type { LoadModelOptions } from "../../model/options.js";
import type { JudgeBackend } from "./backend.js";
import { HttpJudge, parseOpenAiSpec, type HttpJudgeOptions } from "./http.js";
import { LocalJudge, type LocalJudgeOptions } from "./local.js";

export type { JudgeBackend } from "./backend.js";
export { JudgeCache, cacheKey } from "./cache.js";
export { HttpJudge, type HttpJudgeOptions } from "./http.js";
export { LocalJudge, type LocalJudgeOptions } from "./local.js";
export { pairByInstruction, pairFiles, type Pair, type Pairing } from "./pairs.js";
export {
  isSwitched,
  outcomeFromChoice,
  preferenceFromLogprobs,
  preferenceFromText,
  preferenceFromTop,
  type JudgeOutcome,
} from "./parse.js";
export { runJudge, type JudgeSummary, type RunJudgeOptions } from "./runJudge.js";
export {
  DEFAULT_TEMPLATE_TEXT,
  defaultTemplate,
  loadTemplate,
  renderTemplate,
  type JudgeTemplate,
} from "./template.js";

export interface OpenJudgeOptions {
  /** HTTP judges: the `model` field (required). */
  judgeModel?: string;
  /** HTTP judges: the environment variable holding the API key. Defaults to `OPENAI_API_KEY`. */
  keyEnv?: string;
  http?: Omit<HttpJudgeOptions, "baseUrl" | "model" | "apiKey">;
  /** Local judges: how the GGUF is loaded (threads, LoRA, GPU layers). */
  load?: Omit<LoadModelOptions, "model">;
  local?: LocalJudgeOptions & { format?: TemplateName };
}

/**
 * A judge from its spec: `openai:BASE_URL` (an OpenAI-compatible server; empty URL = OpenAI) or a
 * local GGUF path / hf: URI. Dispose it when done (a local judge frees its model).
 */
export async function openJudge(spec: string, opts: OpenJudgeOptions = {}): Promise<JudgeBackend> {
  const base = parseOpenAiSpec(spec);
  if (base !== undefined) {
    if (!opts.judgeModel) {
      throw new InvalidOptionError("INVALID_OPTION", `the HTTP judge ${spec} needs --judge-model NAME`, {
        suggestion: "e.g. --judge-model gpt-4-1106-preview, or the name `iit serve` reports at /v1/models",
      });
    }
    try {
      new URL(base);
    } catch {
      throw new InvalidOptionError("INVALID_OPTION", `"${base}" in --judge ${spec} is not a URL`, {
        suggestion: "use openai:http://127.0.0.1:8080/v1",
      });
    }
    const keyEnv = opts.keyEnv ?? "OPENAI_API_KEY";
    return new HttpJudge({
      ...opts.http,
      baseUrl: base,
      model: opts.judgeModel,
      apiKey: process.env[keyEnv] || undefined,
    });
  }
  const model = await loadModel({ ...opts.load, model: spec });
  try {
    const judge = new LocalJudge(model, opts.local);
    return Object.assign(judge, { dispose: () => model.dispose() });
  } catch (e) {
    await model.dispose();
    throw e;
  }
}
