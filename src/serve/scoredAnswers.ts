// The engine's answers that come from a scoring pass instead of (or after) the generation: greedy
// one-token requests, and teacher-forced logprobs of what a batch generated.
import type { GenerationResult } from "../model/generationTypes.js";
import type { Model } from "../model/Model.js";
import type { TokenTexts } from "../model/tokenText.js";
import { promptInstruction } from "../model/templates.js";
import type { JobResult, Pending } from "./job.js";

/** Whether a job's logprobs come from the scoring pass after generation (streams get theirs as they go). */
export const scored = (p: Pending): boolean => p.job.topLogprobs >= 0 && !p.job.onLogprobs;

/**
 * Greedy one-token requests (a logprob judge's): the argmax of one scoring pass is exactly what
 * greedy decoding emits, so the prompt is processed once instead of twice (generate + score).
 */
export async function greedyOne(model: Model, texts: TokenTexts, batch: Pending[], signal: AbortSignal): Promise<void> {
  const k = Math.max(1, ...batch.map((p) => p.job.topLogprobs));
  const items = batch.map((p) => ({ tokens: p.job.promptTokens, from: p.job.promptTokens.length }));
  const scores = await model.score(items, { topK: k, signal });
  const eog = new Set(model.meta.eogIds);
  batch.forEach((p, i) => {
    const top = scores[i].topNext;
    const best = top[0];
    const isEog = eog.has(best.token);
    const { text, bytes } = isEog ? { text: "", bytes: [] } : texts.get(best.token);
    const cuts = (p.job.settings.stop ?? []).map((x) => text.indexOf(x)).filter((x) => x >= 0);
    const cut = cuts.length ? Math.min(...cuts) : -1;
    const result: GenerationResult = {
      instruction: promptInstruction(p.job.prompt),
      output: cut >= 0 ? text.slice(0, cut) : text,
      tokens: isEog ? [] : [best.token],
      nPromptTokens: p.job.promptTokens.length,
      stopReason: isEog ? "eos" : cut >= 0 ? "stop_string" : "max_tokens",
    };
    const kk = p.job.topLogprobs;
    const alts = top.slice(0, Math.max(kk, 0)).map((t) => ({ id: t.token, logprob: t.logprob, ...texts.get(t.token) }));
    p.resolve({
      result,
      logprobs: kk >= 0 ? [{ id: best.token, logprob: best.logprob, text, bytes, top: alts }] : undefined,
    });
  });
}

/** Teacher-forced logprobs of what was generated: one scoring pass for the whole batch. */
export async function teacherForcedLogprobs(
  model: Model,
  texts: TokenTexts,
  batch: Pending[],
  results: GenerationResult[],
  signal: AbortSignal,
): Promise<JobResult["logprobs"][]> {
  const out: JobResult["logprobs"][] = batch.map(() => undefined);
  const want = batch.map((_, i) => i).filter((i) => scored(batch[i]) && !batch[i].cancelled);
  if (want.length === 0) return out;
  const meta = model.meta;
  const stopId = meta.eos >= 0 ? meta.eos : meta.eogIds[0];
  const items = want.map((i) => {
    const r = results[i];
    const tail = r.stopReason === "eos" && stopId !== undefined ? [stopId] : [];
    return {
      tokens: [...batch[i].job.promptTokens, ...r.tokens, ...tail],
      from: batch[i].job.promptTokens.length,
      eos: tail.length > 0,
    };
  });
  const topK = Math.max(...want.map((i) => batch[i].job.topLogprobs));
  // With --rules: the product distribution that was sampled from, not the base model's.
  const rules = batch[0].job.settings.rules;
  const scores = await model.score(items, { topK, signal, ...(rules ? { rules } : {}) });
  want.forEach((i, w) => {
    const { tokens, from, eos } = items[w];
    const k = batch[i].job.topLogprobs;
    out[i] = scores[w].tokenLogprobs.map((logprob, j) => {
      const id = tokens[from + j];
      const info = eos && from + j === tokens.length - 1 ? { text: "", bytes: [] } : texts.get(id);
      const top = (scores[w].top[j] ?? [])
        .slice(0, k)
        .map((t) => ({ id: t.token, logprob: t.logprob, ...texts.get(t.token) }));
      return { id, logprob, ...info, top };
    });
  });
  return out;
}
