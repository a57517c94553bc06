import { randomUUID } from "node:crypto";
import type { StopReason } from "../model/generationTypes.js";
import type { JobResult, TokenInfo, TokenLogprobs } from "./job.js";

export function finishReason(r: StopReason): "stop" | "length" {
  return r === "eos" || r === "stop_string" ? "stop" : "length";
}

const now = () => Math.floor(Date.now() / 1000);
const usage = (rs: JobResult[]) => {
  const prompt_tokens = rs.reduce((n, r) => n + r.result.nPromptTokens, 0);
  const completion_tokens = rs.reduce((n, r) => n + r.result.tokens.length, 0);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
};

const entry = (t: TokenInfo) => ({ token: t.text, logprob: t.logprob, bytes: t.bytes });

/** OpenAI's chat format: `choices[0].logprobs.content[i].top_logprobs[j].{token, logprob, bytes}`. */
export function chatCompletion(model: string, r: JobResult) {
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: "chat.completion",
    created: now(),
    model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: r.result.output },
        logprobs: chatLogprobs(r.logprobs),
        finish_reason: finishReason(r.result.stopReason),
      },
    ],
    usage: usage([r]),
  };
}

const chatLogprobs = (lps: TokenLogprobs[] | undefined) =>
  lps ? { content: lps.map((t) => ({ ...entry(t), top_logprobs: t.top.map(entry) })) } : null;

/**
 * The chunks of a streamed chat completion (`object: "chat.completion.chunk"`), one id for the whole
 * stream: the role first, then content deltas, each with the logprobs of the tokens that arrived since
 * the last one (when asked); the last chunk of the choice carries `finish_reason`.
 */
export function chatChunks(model: string, includeUsage: boolean) {
  const head = { id: `chatcmpl-${randomUUID()}`, object: "chat.completion.chunk", created: now(), model };
  const u = includeUsage ? { usage: null } : {};
  const chunk = (delta: object, extra: { logprobs?: unknown; finish_reason?: string | null } = {}) => ({
    ...head,
    choices: [{ index: 0, delta, logprobs: extra.logprobs ?? null, finish_reason: extra.finish_reason ?? null }],
    ...u,
  });
  return {
    first: () => chunk({ role: "assistant", content: "" }),
    delta: (_index: number, text: string, lps?: TokenLogprobs[]) =>
      chunk({ content: text }, { logprobs: chatLogprobs(lps) }),
    last: (_index: number, text: string, r: JobResult, lps?: TokenLogprobs[]) =>
      chunk(text ? { content: text } : {}, {
        logprobs: chatLogprobs(lps),
        finish_reason: finishReason(r.result.stopReason),
      }),
    usage: (rs: JobResult[]) => ({ ...head, choices: [], usage: usage(rs) }),
  };
}

/** The chunks of a streamed legacy completion: one choice per chunk, `index` naming its prompt. */
export function textChunks(model: string, prompts: string[], includeUsage: boolean) {
  const head = { id: `cmpl-${randomUUID()}`, object: "text_completion", created: now(), model };
  const u = includeUsage ? { usage: null } : {};
  const chunk = (index: number, text: string, logprobs: unknown = null, finish_reason: string | null = null) => ({
    ...head,
    choices: [{ index, text, logprobs, finish_reason }],
    ...u,
  });
  // text_offset runs on across a choice's chunks: where its next token's text starts
  const at = prompts.map((p) => p.length);
  const lp = (index: number, lps?: TokenLogprobs[]) => {
    if (!lps) return null;
    const out = legacyLogprobs(at[index], lps);
    for (const t of lps) at[index] += t.text.length;
    return out;
  };
  return {
    first: null,
    delta: (index: number, text: string, lps?: TokenLogprobs[]) => chunk(index, text, lp(index, lps)),
    last: (index: number, text: string, r: JobResult, lps?: TokenLogprobs[]) =>
      chunk(index, text, lp(index, lps), finishReason(r.result.stopReason)),
    usage: (rs: JobResult[]) => ({ ...head, choices: [], usage: usage(rs) }),
  };
}

export type Chunks = ReturnType<typeof chatChunks> | ReturnType<typeof textChunks>;

/** OpenAI's legacy completions format: parallel arrays, top_logprobs as {text: logprob} maps. */
export function textCompletion(model: string, prompts: string[], rs: JobResult[]) {
  return {
    id: `cmpl-${randomUUID()}`,
    object: "text_completion",
    created: now(),
    model,
    choices: rs.map((r, index) => ({
      index,
      text: r.result.output,
      logprobs: r.logprobs ? legacyLogprobs(prompts[index].length, r.logprobs) : null,
      finish_reason: finishReason(r.result.stopReason),
    })),
    usage: usage(rs),
  };
}

function legacyLogprobs(offset: number, lps: NonNullable<JobResult["logprobs"]>) {
  const text_offset: number[] = [];
  let at = offset;
  for (const t of lps) {
    text_offset.push(at);
    at += t.text.length;
  }
  return {
    tokens: lps.map((t) => t.text),
    token_logprobs: lps.map((t) => t.logprob),
    // Tokens with the same text (e.g. "M" and its byte token) keep the likelier one, as a map can hold one.
    top_logprobs: lps.map((t) => {
      const m: Record<string, number> = {};
      for (const a of t.top) if (!(a.text in m)) m[a.text] = a.logprob;
      return m;
    }),
    text_offset,
  };
}

export function modelList(id: string, created: number) {
  return { object: "list", data: [{ id, object: "model", created, owned_by: "implicit-instruct" }] };
}
