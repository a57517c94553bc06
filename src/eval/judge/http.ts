import { setTimeout as sleep } from "node:timers/promises";
import type { Message } from "../../data/template.js";
import { AbortError, JudgeError } from "../../errors.js";
import type { JudgeBackend } from "./backend.js";
import { outcomeFromChoice, type JudgeOutcome } from "./parse.js";

export interface HttpJudgeOptions {
  /** The API base, e.g. `http://127.0.0.1:8080/v1`; `/chat/completions` is appended. */
  baseUrl: string;
  /** The `model` field of each request. */
  model: string;
  /** Sent as a Bearer token when set. */
  apiKey?: string;
  /** Requests in flight at once. Defaults to `4`. */
  concurrency?: number;
  /** Retries of one request after 429, 408, 5xx or a network error. Defaults to `5`. */
  retries?: number;
  /** First backoff; doubles per retry (with jitter) up to 60 s, unless the server says Retry-After. Defaults to `1000`. */
  retryDelayMs?: number;
  /** Per-request timeout. Defaults to `120000`. */
  timeoutMs?: number;
  /** Defaults to `1` (one label, as AlpacaEval's weighted judge). */
  maxTokens?: number;
  /** Alternatives asked per position; AlpacaEval asks 5, OpenAI allows up to 20. Defaults to `5`. */
  topLogprobs?: number;
  /** Defaults to `0`: the logprobs do not depend on it, and the text fallback becomes deterministic. */
  temperature?: number;
}

const MAX_BACKOFF_MS = 60_000;

/** Seconds or an HTTP date (Retry-After), or OpenAI's `retry-after-ms`; undefined when absent. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number(headers.get("retry-after-ms"));
  if (headers.get("retry-after-ms") && Number.isFinite(ms)) return Math.max(0, ms);
  const v = headers.get("retry-after");
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** An OpenAI-compatible chat-completions judge with retries, backoff and rate-limit pauses. */
export class HttpJudge implements JudgeBackend {
  readonly id: string;
  readonly name: string;
  readonly concurrency: number;
  private readonly url: string;
  private retries = 0;
  private rateLimited = 0;
  private calls = 0;
  /** A 429 pauses every worker, not only the one that saw it. */
  private notBefore = 0;

  constructor(private readonly opts: HttpJudgeOptions) {
    if (!opts.model)
      throw new JudgeError("JUDGE_MODEL_MISSING", "an HTTP judge needs a model name", {
        suggestion: "pass --judge-model NAME",
      });
    this.url = opts.baseUrl.replace(/\/+$/, "") + "/chat/completions";
    this.concurrency = opts.concurrency ?? 4;
    const p = {
      max_tokens: opts.maxTokens ?? 1,
      top_logprobs: opts.topLogprobs ?? 5,
      temperature: opts.temperature ?? 0,
    };
    this.id = `openai:${opts.baseUrl.replace(/\/+$/, "")}:${opts.model}:${JSON.stringify(p)}`;
    this.name = `iit_weighted_${opts.model}`;
  }

  private body(messages: Message[]): string {
    const top = this.opts.topLogprobs ?? 5;
    return JSON.stringify({
      model: this.opts.model,
      messages,
      max_tokens: this.opts.maxTokens ?? 1,
      temperature: this.opts.temperature ?? 0,
      ...(top > 0 ? { logprobs: true, top_logprobs: top } : {}),
    });
  }

  async judge(messages: Message[], labels: readonly [string, string], signal?: AbortSignal): Promise<JudgeOutcome> {
    const body = this.body(messages);
    const maxRetries = this.opts.retries ?? 5;
    const base = this.opts.retryDelayMs ?? 1000;
    let last = "";
    for (let attempt = 0; ; attempt++) {
      const wait = this.notBefore - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
      if (signal?.aborted) throw new AbortError();
      let delay: number | undefined;
      try {
        this.calls++;
        const res = await fetch(this.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
          },
          body,
          signal: AbortSignal.any([...(signal ? [signal] : []), AbortSignal.timeout(this.opts.timeoutMs ?? 120_000)]),
        });
        const text = await res.text();
        if (res.ok) {
          const json = safeJson(text) as { choices?: unknown[] } | undefined;
          if (json && Array.isArray(json.choices) && json.choices.length > 0)
            return outcomeFromChoice(json.choices[0], labels);
          last = `${res.status} with a body that is not a chat completion: ${text.slice(0, 200)}`;
        } else {
          last = `${res.status} ${text.slice(0, 300)}`;
          if (res.status === 401 || res.status === 403 || res.status === 404) {
            throw new JudgeError("JUDGE_HTTP_FATAL", `${this.url} answered ${last}`, {
              suggestion:
                res.status === 404
                  ? "check the base URL (it usually ends in /v1) and --judge-model"
                  : "check the API key variable (--judge-key-env)",
            });
          }
          if (res.status !== 429 && res.status !== 408 && res.status < 500) {
            // This prompt is refused (e.g. too long): the pair is missing, the run goes on.
            return { labelLogprobs: null, text: "", preference: null, raw_completion: null, error: `HTTP ${last}` };
          }
          delay = retryAfterMs(res.headers);
          if (res.status === 429) {
            this.rateLimited++;
            this.notBefore = Math.max(this.notBefore, Date.now() + (delay ?? backoff(base, attempt)));
          }
        }
      } catch (e) {
        if (e instanceof JudgeError) throw e;
        if (signal?.aborted) throw new AbortError();
        const cause = (e as Error).cause as { code?: string; message?: string } | undefined;
        last = `network error: ${(e as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ""}`;
      }
      if (attempt >= maxRetries) {
        throw new JudgeError("JUDGE_HTTP_FAILED", `${this.url}: ${last} (gave up after ${maxRetries} retries)`, {
          suggestion: "finished judgements are cached: run the same command again to resume",
        });
      }
      this.retries++;
      await sleep(delay ?? backoff(base, attempt), undefined, { signal }).catch(() => undefined);
    }
  }

  stats(): Record<string, number> {
    return { http_requests: this.calls, retries: this.retries, rate_limited: this.rateLimited };
  }
}

function backoff(base: number, attempt: number): number {
  const d = Math.min(MAX_BACKOFF_MS, base * 2 ** attempt);
  return d / 2 + (Math.random() * d) / 2;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `openai:BASE_URL` → the base URL (OpenAI's own when empty); undefined for anything else. */
export function parseOpenAiSpec(spec: string): string | undefined {
  if (!spec.startsWith("openai:")) return undefined;
  const url = spec.slice("openai:".length);
  return url === "" ? "https://api.openai.com/v1" : url;
}
