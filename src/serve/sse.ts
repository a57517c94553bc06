import type { FastifyReply, FastifyRequest } from "fastify";
import type { Engine } from "./engine.js";
import type { Job, JobResult, TokenLogprobs } from "./job.js";
import type { Chunks } from "./openai.js";
import type { HttpError } from "./schemas.js";
import { TextStream } from "../generation/textStream.js";

/**
 * Answers jobs as OpenAI's server-sent events: `data: {chunk}` per piece of text as tokens are
 * generated (with those tokens' logprobs when asked), each prompt's last chunk with its finish_reason, an optional usage chunk, `data: [DONE]`.
 * The status line is written with the first chunk, so a request refused or cancelled before it
 * starts (429, 503 at shutdown) still gets a plain JSON error; a failure after that is an `error` event.
 * A client that goes away cancels its jobs (the engine stops a batch whose clients are all gone).
 */
export async function streamJobs(
  engine: Engine,
  jobs: Job[],
  chunks: Chunks,
  opts: { includeUsage: boolean; toHttpError: (e: unknown) => HttpError; req: FastifyRequest; reply: FastifyReply },
): Promise<void> {
  const res = opts.reply.raw;
  let started = false;
  const opened = new Set<number>();
  const send = (index: number, chunk: object) => {
    if (res.destroyed) return;
    if (!started) {
      started = true;
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    }
    if (chunks.first && !opened.has(index)) res.write(`data: ${JSON.stringify(chunks.first())}\n\n`);
    opened.add(index);
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  };
  const wantsLp = jobs.map((job) => job.topLogprobs >= 0);
  // logprobs of tokens whose text is not shown yet (an incomplete character, a possible stop string)
  const pendingLp: TokenLogprobs[][] = jobs.map(() => []);
  const streams = jobs.map((job, i) => {
    const ts = new TextStream(engine.texts, job.settings.stop ?? []);
    if (wantsLp[i]) job.onLogprobs = (lp) => pendingLp[i].push(lp);
    job.onToken = (t) => {
      const delta = ts.push(t);
      if (delta) send(i, chunks.delta(i, delta, wantsLp[i] ? pendingLp[i].splice(0) : undefined));
    };
    return ts;
  });
  const handle = engine.submit(jobs); // throws (429, 400, 503) before anything is written
  handle.promise.catch(() => undefined); // each job's outcome is handled below; the whole is not awaited
  opts.reply.hijack();
  const onClose = () => {
    if (!res.writableFinished) handle.cancel();
  };
  opts.req.raw.socket?.once("close", onClose);
  try {
    const results: JobResult[] = await Promise.all(
      handle.each.map((p, i) =>
        p.then((r) => {
          // a one-token greedy request is answered by a scoring pass: its logprobs come with the result
          const lps = wantsLp[i] ? (r.logprobs ?? pendingLp[i].splice(0)) : undefined;
          send(i, chunks.last(i, streams[i].finish(r.result.output), r, lps));
          return r;
        }),
      ),
    );
    if (opts.includeUsage) send(0, chunks.usage(results));
    if (!res.destroyed) res.end("data: [DONE]\n\n");
  } catch (e) {
    handle.cancel();
    const err = opts.toHttpError(e);
    if (res.destroyed) return;
    if (!started) {
      res.writeHead(err.status, { "content-type": "application/json; charset=utf-8", ...err.headers });
      res.end(JSON.stringify(err.body()));
    } else {
      res.end(`data: ${JSON.stringify(err.body())}\n\n`);
    }
  } finally {
    opts.req.raw.socket?.off("close", onClose);
  }
}
