import { statSync } from "node:fs";
import type { Message } from "../../data/template.js";
import { JudgeError } from "../../errors.js";
import { promptTokens } from "../../model/templates.js";
import type { TemplateName } from "../../model/generationTypes.js";
import type { Model } from "../../model/Model.js";
import type { JudgeBackend } from "./backend.js";
import { preferenceFromLogprobs, type JudgeOutcome } from "./parse.js";
import { messagesToText } from "./template.js";
import { TokenTexts } from "../../model/tokenText.js";

export interface LocalJudgeOptions {
  /** How the judge prompt becomes tokens. Defaults to `"model"` when the GGUF has a chat template, else `"tulu"`. */
  format?: TemplateName;
  /** Longest prompt judged, in tokens; longer pairs are recorded as missing. Defaults to the training context (4096 when unknown). */
  contextSize?: number;
  /** Alternatives kept per position in raw_completion (AlpacaEval's judge asks for 5). Defaults to `5`. */
  topLogprobs?: number;
}

function logsumexp(xs: number[]): number {
  const m = Math.max(...xs);
  return m === -Infinity ? m : m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}

/**
 * A GGUF judge through our engine. The label probabilities are exact: the prompt is scored once and
 * the next-token distribution over the whole vocabulary is read, summing every token whose text is
 * the label (e.g. "M", "▁M" and the byte token for "M").
 */
export class LocalJudge implements JudgeBackend {
  readonly id: string;
  readonly name: string;
  readonly concurrency = 1;
  readonly format: TemplateName;
  readonly contextSize: number;
  private readonly topLogprobs: number;
  private readonly texts: TokenTexts;
  private readonly labelIds = new Map<string, number[]>();

  constructor(
    readonly model: Model,
    opts: LocalJudgeOptions = {},
  ) {
    const meta = model.meta;
    this.format = opts.format ?? (meta.chatTemplate ? "model" : "tulu");
    this.contextSize = opts.contextSize ?? (meta.nCtxTrain > 0 ? meta.nCtxTrain : 4096);
    this.topLogprobs = opts.topLogprobs ?? 5;
    let size = 0;
    try {
      size = statSync(model.path).size;
    } catch {
      /* an unreadable path still judges; the name alone then identifies it */
    }
    const loras = model.loras.map((l) => `${l.path}@${l.scale}`).join(",");
    this.id = `local:${model.name}:${size}:${loras}:${this.format}`;
    this.name = `iit_weighted_${model.name}`;
    this.texts = new TokenTexts(model);
  }

  /** Every token id whose text, trimmed, is the label; fails when the vocabulary has none. */
  idsOf(label: string): number[] {
    let ids = this.labelIds.get(label);
    if (ids) return ids;
    ids = [];
    for (let t = 0; t < this.model.meta.nVocab; t++) if (this.model.detokenize([t]).trim() === label) ids.push(t);
    if (ids.length === 0) {
      throw new JudgeError(
        "JUDGE_LABEL_NOT_A_TOKEN",
        `the label "${label}" is not a single token of ${this.model.path}`,
        {
          suggestion: "pick --labels that are single tokens of the judge (AlpacaEval uses m,M)",
        },
      );
    }
    this.labelIds.set(label, ids);
    return ids;
  }

  async judge(messages: Message[], labels: readonly [string, string], signal?: AbortSignal): Promise<JudgeOutcome> {
    const ids = labels.map((l) => this.idsOf(l));
    const input = this.format === "raw" ? { instruction: messagesToText(messages) } : { instruction: "", messages };
    const tokens = promptTokens(this.model, input, this.format);
    if (tokens.length > this.contextSize) {
      return {
        labelLogprobs: null,
        text: "",
        preference: null,
        raw_completion: null,
        error: `the judge prompt is ${tokens.length} tokens, more than the judge's context of ${this.contextSize}`,
      };
    }
    const nVocab = this.model.meta.nVocab;
    const [r] = await this.model.score([{ tokens, from: tokens.length }], { topK: nVocab, signal });
    const dist = r.topNext;
    const lp = new Float64Array(nVocab).fill(-Infinity);
    for (const t of dist) lp[t.token] = t.logprob;
    const per = ids.map((set) => logsumexp(set.map((t) => lp[t])));
    const entry = (t: { token: number; logprob: number }) => {
      const { text, bytes } = this.texts.get(t.token);
      return { token: text, logprob: t.logprob, bytes };
    };
    const top = dist.slice(0, this.topLogprobs).map(entry);
    // Shaped like an OpenAI chat choice, so AlpacaEval's own parser reads it too.
    const raw_completion = {
      message: { role: "assistant", content: top[0]?.token ?? "" },
      logprobs: { content: [{ ...top[0], top_logprobs: top }] },
      label_logprobs: { [labels[0]]: fin(per[0]), [labels[1]]: fin(per[1]) },
      n_prompt_tokens: tokens.length,
    };
    return {
      labelLogprobs: [fin(per[0]), fin(per[1])],
      text: top[0]?.token ?? "",
      preference: preferenceFromLogprobs(per[0], per[1]),
      raw_completion,
    };
  }

  stats(): Record<string, number> {
    return {};
  }
}

function fin(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
