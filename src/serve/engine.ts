import { AbortError, InvalidOptionError } from "../errors.js";
import type { GenerationHandle, GenerationResult } from "../model/generationTypes.js";
import type { Model } from "../model/Model.js";
import { TokenTexts } from "../model/tokenText.js";
import type { Job, JobResult, Pending } from "./job.js";
import { HttpError } from "./schemas.js";
import { greedyOne, scored, teacherForcedLogprobs } from "./scoredAnswers.js";

/** The batch being generated; waiting requests with its settings join it while it has free sequences. */
interface Running {
  batch: Pending[];
  abort: AbortController;
  key: string;
  /** Whether the generation reports tokens (only then can a streamed request join it). */
  streams: boolean;
  /** Adds prompts to the running generation; unset until it runs (and for one-token batches). */
  handle?: GenerationHandle;
  /** Requests of the batch that have their result. */
  finished: number;
}

export interface EngineOptions {
  /** Requests decoded together as parallel sequences. Defaults to `4`. */
  parallel?: number;
  /** Waiting requests beyond which new ones get 429. Defaults to `256`. */
  maxQueue?: number;
  /** Context per sequence (prompt + output). */
  contextSize: number;
}

/**
 * One model, one generation at a time: requests wait in a queue and, when the model frees up,
 * up to `parallel` waiting requests with the same sampling settings run as one batch, and requests with its
 * settings that arrive while it runs join it as its sequences free up (continuous batching).
 */
export class Engine {
  private readonly queue: Pending[] = [];
  private running?: Running;
  /** Token texts and bytes, shared with the streams. */
  readonly texts: TokenTexts;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  readonly parallel: number;
  readonly maxQueue: number;
  batches = 0;
  maxBatch = 0;
  private lastBatchSize = 0;
  private holdUntil = 0;
  private holdTimer?: NodeJS.Timeout;

  constructor(
    readonly model: Model,
    readonly opts: EngineOptions,
  ) {
    this.parallel = opts.parallel ?? 4;
    this.maxQueue = opts.maxQueue ?? 256;
    // Below 1 every request would get 429: a server that can never answer.
    if (!Number.isInteger(this.maxQueue) || this.maxQueue < 1) {
      throw new InvalidOptionError("INVALID_OPTION", `maxQueue must be an integer of at least 1, got ${this.maxQueue}`);
    }
    this.texts = new TokenTexts(model);
  }

  get queued(): number {
    return this.queue.length;
  }

  /**
   * Queues the jobs of one request, all or none: a request that does not fit is refused before any of
   * its jobs waits (the rest would run for a client that already got its error). `cancel` drops them
   * when the client goes away.
   */
  submit(jobs: Job[]): { promise: Promise<JobResult[]>; each: Promise<JobResult>[]; cancel: () => void } {
    if (this.closed) throw new HttpError(503, "the server is shutting down", "server_error");
    if (jobs.length > this.maxQueue) {
      throw new HttpError(
        400,
        `${jobs.length} prompts in one request; this server queues at most ${this.maxQueue}`,
        "invalid_request_error",
        "prompt",
        "too_many_prompts",
      );
    }
    if (this.queue.length + jobs.length > this.maxQueue) {
      throw new HttpError(
        429,
        `too many queued requests (${this.queue.length}); retry shortly`,
        "rate_limit_error",
        null,
        "queue_full",
        {
          "retry-after": "1",
        },
      );
    }
    const pending = jobs.map((job) => {
      let p!: Pending;
      const promise = new Promise<JobResult>((resolve, reject) => {
        p = { job, key: JSON.stringify(job.settings), cancelled: false, stop: new AbortController(), resolve, reject };
      });
      return { p, promise };
    });
    this.queue.push(...pending.map((x) => x.p));
    // setImmediate, not a microtask: requests that arrived in the same turn join one batch.
    setImmediate(() => this.pump());
    return {
      promise: Promise.all(pending.map((x) => x.promise)),
      each: pending.map((x) => x.promise),
      cancel: () => {
        for (const { p } of pending) {
          p.cancelled = true;
          p.stop.abort();
          const i = this.queue.indexOf(p);
          if (i >= 0) {
            this.queue.splice(i, 1);
            p.reject(new AbortError("the client went away")); // settled, so nothing waits on it forever
          }
        }
        // A batch whose clients are all gone is not worth finishing.
        if (this.running?.batch.every((q) => q.cancelled)) this.running.abort.abort();
      },
    };
  }

  private pump(): void {
    if (this.running) {
      this.join(this.running);
      return;
    }
    if (this.queue.length === 0) return;
    // The clients of a batch that just finished send their next requests within a moment; a batch started
    // before they arrive would have to join it one by one, a token late.
    const wait = this.holdUntil - performance.now();
    if (wait > 0 && this.queue.length < Math.min(this.parallel, this.lastBatchSize)) {
      this.holdTimer ??= setTimeout(() => {
        this.holdTimer = undefined;
        this.pump();
      }, wait);
      return;
    }
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    const key = this.queue[0].key;
    const batch: Pending[] = [];
    for (let i = 0; i < this.queue.length && batch.length < this.parallel; ) {
      if (this.queue[i].key === key) batch.push(...this.queue.splice(i, 1));
      else i++;
    }
    const abort = new AbortController();
    this.running = { batch, abort, key, streams: batch.some((p) => p.job.onToken), finished: 0 };
    this.batches++;
    this.maxBatch = Math.max(this.maxBatch, batch.length);
    const t0 = performance.now();
    this.idle = this.runBatch(batch, abort.signal).then((steps) => {
      this.running = undefined;
      // Hold for up to one token step of this batch (at most 20 ms) for its clients to come back.
      const now = performance.now();
      this.lastBatchSize = batch.length;
      this.holdUntil = now + Math.min(20, (now - t0) / Math.max(1, steps));
      this.pump();
    });
  }

  /**
   * Continuous batching: waiting requests with the running batch's settings join its generation while it
   * has sequences free, as long as none with other settings waits before them (those wait for the batch to
   * end, so they are never starved). Requests whose logprobs come from a pass after the generation, or that
   * stream into a generation that reports no tokens, wait for the next batch.
   */
  private join(r: Running): void {
    if (!r.handle) return;
    const free = this.parallel - (r.batch.length - r.finished);
    const joining: Pending[] = [];
    while (joining.length < free && this.queue.length > 0 && this.queue[0].key === r.key) {
      const p = this.queue[0];
      if (scored(p) || p.job.onLogprobs || (p.job.onToken && !r.streams)) break;
      joining.push(...this.queue.splice(0, 1));
    }
    if (joining.length === 0) return;
    let indices: number[] | null = null;
    try {
      indices = r.handle.append(
        joining.map((p) => p.job.prompt),
        joining.map((p) => p.stop.signal),
      );
    } catch (e) {
      for (const p of joining) p.reject(e);
      return;
    }
    if (!indices) {
      this.queue.unshift(...joining); // the generation has just ended: they start the next batch
      return;
    }
    for (const [k, i] of indices.entries()) r.batch[i] = joining[k];
    this.maxBatch = Math.max(this.maxBatch, r.batch.length - r.finished);
  }

  /** Runs one batch; resolves (never rejects) with the most tokens any of its sequences generated. */
  private async runBatch(batch: Pending[], signal: AbortSignal): Promise<number> {
    const s = batch[0].job.settings;
    try {
      if (s.maxTokens === 1 && s.temperature === 0 && !s.rules && !s.ignoreEos) {
        await greedyOne(this.model, this.texts, batch, signal);
        return 1;
      }
      const streams = batch.some((p) => p.job.onToken);
      // Streams get logprobs token by token from the generation itself; the others from a scoring pass after it.
      const streamLp = batch.filter((p) => p.job.onLogprobs && p.job.topLogprobs >= 0).map((p) => p.job.topLogprobs);
      const eog = new Set(this.model.meta.eogIds);
      const info = (id: number) => (eog.has(id) ? { text: "", bytes: [] } : this.texts.get(id));
      const onLogprobs = (
        i: number,
        lp: { token: number; logprob: number; top: { token: number; logprob: number }[] },
      ) => {
        const job = batch[i].job;
        if (!job.onLogprobs || job.topLogprobs < 0) return;
        const top = lp.top
          .slice(0, job.topLogprobs)
          .map((t) => ({ id: t.token, logprob: t.logprob, ...this.texts.get(t.token) }));
        job.onLogprobs({ id: lp.token, logprob: lp.logprob, ...info(lp.token), top });
      };
      // A prompt without a scoring pass is answered as soon as it finishes, not when the whole batch does
      // (an aborted one is not finished: the batch's error reaches it). Its sequence is then free for a
      // waiting request.
      const got = new Map<number, GenerationResult>();
      const early = (i: number, result: GenerationResult) => {
        got.set(i, result);
        if (!scored(batch[i]) && result.stopReason !== "aborted") batch[i].resolve({ result });
        if (this.running) {
          this.running.finished++;
          this.join(this.running);
        }
      };
      const results = await this.model.generate(
        batch.map((p) => p.job.prompt),
        {
          ...s,
          parallel: this.parallel,
          // one context shape for batches of every size: re-creating it costs up to ~100 ms
          contextSlots: this.parallel,
          contextSize: this.opts.contextSize,
          signal,
          promptSignals: batch.map((p) => p.stop.signal),
          onResult: early,
          onStart: (handle) => {
            if (this.running) {
              this.running.handle = handle;
              this.join(this.running);
            }
          },
          ...(streams ? { onToken: (i: number, t: number) => batch[i].job.onToken?.(t) } : {}),
          ...(streamLp.length ? { onLogprobs, logprobs: Math.max(...streamLp) } : {}),
        },
      );
      const lp = await teacherForcedLogprobs(this.model, this.texts, batch, results, signal);
      for (const [i, p] of batch.entries()) {
        const result = results[i] ?? got.get(i); // a joined request's result came only as an event
        if (result) p.resolve({ result, logprobs: lp[i] });
        else p.reject(new AbortError("the generation ended before this request started"));
      }
      return Math.max(1, ...results.map((r) => r.tokens.length));
    } catch (e) {
      for (const p of batch) p.reject(e);
      return 1;
    }
  }

  /** Refuses new work, drops what waits, stops what runs, and waits for it. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.holdTimer);
    for (const p of this.queue.splice(0)) p.reject(new HttpError(503, "the server is shutting down", "server_error"));
    this.running?.abort.abort();
    await this.idle;
  }
}
