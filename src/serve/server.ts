import type { IncomingMessage } from "node:http";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Message } from "../data/template.js";
import { AbortError, IitError, InvalidOptionError } from "../errors.js";
import { GENERATION_DEFAULTS as G } from "../model/generationDefaults.js";
import { promptTokens } from "../model/templates.js";
import type { GenerateOptions, PromptInput, TemplateName } from "../model/generationTypes.js";
import { checkContextMemory } from "../model/memory.js";
import type { Model } from "../model/Model.js";
import { Engine } from "./engine.js";
import type { Job, JobResult, JobSettings } from "./job.js";
import { chatChunks, chatCompletion, modelList, textChunks, textCompletion } from "./openai.js";
import { chatSchema, completionSchema, contentText, HttpError, parseBody, streamRequest } from "./schemas.js";
import { streamJobs } from "./sse.js";

export interface ServeOptions {
  model: Model;
  /** The id clients see at /v1/models and in responses. Defaults to the model's name. */
  modelName?: string;
  /** How chat messages become a prompt. Defaults to `"tulu"` (the paper's format); /v1/completions is always raw text. */
  template?: TemplateName;
  /** Sampling defaults for fields a request leaves out (OpenAI's own defaults differ: greedy here, as the paper). */
  defaults?: Pick<GenerateOptions, "maxTokens" | "temperature" | "topK" | "topP" | "minP" | "seed" | "stop" | "rules">;
  /** Requests decoded together. Defaults to `4`. */
  parallel?: number;
  /** Waiting requests before 429. Defaults to `256`. */
  maxQueue?: number;
  /** Context per sequence. Defaults to min(training context, 4096). */
  contextSize?: number;
  /** When set, requests must send `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Defaults to `"127.0.0.1"`: loopback only unless asked. */
  host?: string;
  /** 0 = any free port. Defaults to `8080`. */
  port?: number;
}

/** The OpenAI-compatible app over one model (not listening yet; see {@link startServer}). */
export function createApp(opts: ServeOptions): { app: FastifyInstance; engine: Engine; modelId: string } {
  const model = opts.model;
  const meta = model.meta;
  const modelId = opts.modelName ?? model.name;
  const contextSize = opts.contextSize ?? Math.min(meta.nCtxTrain > 0 ? meta.nCtxTrain : 4096, 4096);
  checkContextMemory(
    model,
    contextSize * (opts.parallel ?? 4),
    `--context-size ${contextSize} × --parallel ${opts.parallel ?? 4}`,
  );
  const engine = new Engine(model, { parallel: opts.parallel, maxQueue: opts.maxQueue, contextSize });
  const chatTemplate = opts.template ?? G.template;
  if (chatTemplate === "model" && !meta.chatTemplate) {
    throw new InvalidOptionError(
      "NO_CHAT_TEMPLATE",
      `${model.path} has no chat template, so --template model cannot format chat requests`,
      {
        suggestion: "use --template tulu (the paper's format) or raw",
      },
    );
  }
  const d = opts.defaults ?? {};
  const created = Math.floor(Date.now() / 1000);
  const chat = chatSchema(meta.nVocab);
  const completion = completionSchema(meta.nVocab);
  // No token covers more text than its longest piece: a prompt longer than contextSize × that many bytes
  // cannot fit, so it is refused without tokenizing (which runs on the event loop); the body limit
  // leaves room for one such prompt, JSON-escaped.
  const maxPieceBytes = Math.max(1, ...model.tokenPieces().map((t) => Buffer.byteLength(t)));
  const maxPromptBytes = contextSize * maxPieceBytes + 16;
  const app = Fastify({ logger: false, bodyLimit: Math.max(1 << 20, 6 * maxPromptBytes) });

  app.setErrorHandler(async (err: unknown, req, reply) => {
    const e = toHttpError(err);
    // A body over the limit is refused before it is read; a client still sending it would see the
    // socket close under its upload (EPIPE) instead of the status, so read the rest away first.
    if (e.status === 413) {
      await drainBody(req.raw);
      void reply.header("connection", "close");
    }
    return reply.code(e.status).headers(e.headers).send(e.body());
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .code(404)
      .send(new HttpError(404, `no route ${req.method} ${req.url}`, "invalid_request_error", null, "not_found").body());
  });
  if (opts.apiKey) {
    app.addHook("onRequest", async (req) => {
      if (req.url === "/health") return;
      if (req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        throw new HttpError(
          401,
          "missing or wrong API key (Authorization: Bearer …)",
          "invalid_request_error",
          null,
          "invalid_api_key",
        );
      }
    });
  }

  const settings = (
    b: {
      max_tokens?: number | null;
      max_completion_tokens?: number | null;
      temperature?: number | null;
      top_p?: number | null;
      top_k?: number | null;
      min_p?: number | null;
      seed?: number | null;
      stop?: string | string[] | null;
      ignore_eos?: boolean | null;
    },
    template: TemplateName,
  ): JobSettings => ({
    template,
    maxTokens: b.max_completion_tokens ?? b.max_tokens ?? d.maxTokens ?? G.maxTokens,
    temperature: b.temperature ?? d.temperature ?? G.temperature,
    topP: b.top_p ?? d.topP ?? G.topP,
    topK: b.top_k ?? d.topK ?? G.topK,
    minP: b.min_p ?? d.minP ?? G.minP,
    seed: b.seed ?? d.seed ?? G.seed,
    stop: b.stop === null || b.stop === undefined ? (d.stop ?? []) : typeof b.stop === "string" ? [b.stop] : b.stop,
    ...(d.rules ? { rules: d.rules } : {}),
    ...(b.ignore_eos ? { ignoreEos: true } : {}),
  });

  const makeJob = (prompt: PromptInput, s: JobSettings, topLogprobs: number, param: string): Job => {
    const bytes =
      typeof prompt === "string"
        ? Buffer.byteLength(prompt)
        : (prompt.messages ?? []).reduce((n, m) => n + Buffer.byteLength(m.content), 0);
    if (bytes > maxPromptBytes) {
      throw new HttpError(
        400,
        `the prompt is ${bytes} bytes, more than a context of ${contextSize} tokens can hold`,
        "invalid_request_error",
        param,
        "context_length_exceeded",
      );
    }
    let tokens: number[];
    try {
      tokens = promptTokens(model, prompt, s.template);
    } catch (e) {
      throw toHttpError(e);
    }
    if (tokens.length >= contextSize) {
      throw new HttpError(
        400,
        `the prompt is ${tokens.length} tokens; this server's context is ${contextSize} per request`,
        "invalid_request_error",
        param,
        "context_length_exceeded",
      );
    }
    return { prompt, promptTokens: tokens, settings: s, topLogprobs };
  };

  /** Runs jobs; drops the queued ones when the client disconnects first. */
  const run = async (jobs: Job[], req: FastifyRequest, reply: FastifyReply): Promise<JobResult[]> => {
    const handle = engine.submit(jobs);
    const onClose = () => {
      if (!reply.raw.writableFinished) handle.cancel();
    };
    req.raw.socket?.once("close", onClose);
    try {
      return await handle.promise;
    } finally {
      req.raw.socket?.off("close", onClose);
    }
  };

  app.get("/health", async () => ({
    status: "ok",
    queued: engine.queued,
    batches: engine.batches,
    max_batch: engine.maxBatch,
  }));
  app.get("/v1/models", async () => modelList(modelId, created));

  app.post("/v1/chat/completions", async (req, reply) => {
    const b = parseBody(chat, req.body);
    if (b.top_logprobs != null && b.logprobs !== true)
      throw new HttpError(400, "top_logprobs needs logprobs: true", "invalid_request_error", "top_logprobs");
    const messages: Message[] = b.messages.map((m) => ({
      role: m.role === "developer" ? "system" : m.role,
      content: contentText(m.content as string | { text: string }[] | null),
    }));
    const last = messages.at(-1)!;
    if (last.role !== "user")
      throw new HttpError(400, "the last message must be the user's", "invalid_request_error", "messages");
    const stream = streamRequest(b);
    const job = makeJob(
      { instruction: last.content, messages },
      settings(b, chatTemplate),
      b.logprobs ? (b.top_logprobs ?? 0) : -1,
      "messages",
    );
    if (stream)
      return streamJobs(engine, [job], chatChunks(modelId, stream.includeUsage), {
        ...stream,
        toHttpError,
        req,
        reply,
      });
    const [r] = await run([job], req, reply);
    return chatCompletion(modelId, r);
  });

  app.post("/v1/completions", async (req, reply) => {
    const b = parseBody(completion, req.body);
    const prompts = typeof b.prompt === "string" ? [b.prompt] : b.prompt;
    const s = settings(b, "raw");
    const stream = streamRequest(b);
    const jobs = prompts.map((p) => makeJob(p, s, b.logprobs ?? -1, "prompt"));
    if (stream)
      return streamJobs(engine, jobs, textChunks(modelId, prompts, stream.includeUsage), {
        ...stream,
        toHttpError,
        req,
        reply,
      });
    return textCompletion(modelId, prompts, await run(jobs, req, reply));
  });

  return { app, engine, modelId };
}

/** How much of a refused body is read away before answering: beyond it, the answer comes first and the socket closes. */
const DRAIN_MAX_BYTES = 64 << 20;
const DRAIN_MAX_MS = 30_000;

/** Reads and discards the rest of a request body, up to DRAIN_MAX_BYTES or DRAIN_MAX_MS. */
function drainBody(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let bytes = 0;
    const done = () => {
      clearTimeout(timer);
      req.off("data", onData).off("end", done).off("error", done).off("close", done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > DRAIN_MAX_BYTES) done();
    };
    const timer = setTimeout(done, DRAIN_MAX_MS);
    req.on("data", onData).on("end", done).on("error", done).on("close", done);
    req.resume();
  });
}

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof InvalidOptionError)
    return new HttpError(400, err.message, "invalid_request_error", null, err.code.toLowerCase());
  if (err instanceof AbortError) return new HttpError(503, "the request was cancelled", "server_error");
  if (err instanceof IitError) return new HttpError(500, err.message, "server_error", null, err.code.toLowerCase());
  const f = err as { statusCode?: number; message?: string; code?: string };
  // Fastify's own errors (malformed JSON, wrong content type, body too large) carry a 4xx status.
  if (typeof f.statusCode === "number" && f.statusCode >= 400 && f.statusCode < 500) {
    return new HttpError(f.statusCode, f.message ?? "bad request", "invalid_request_error", null, f.code ?? null);
  }
  return new HttpError(500, `internal error: ${f.message ?? String(err)}`, "server_error");
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  modelId: string;
  app: FastifyInstance;
  engine: Engine;
  /** Stops accepting, cancels what waits, finishes what runs. The model stays loaded (the caller owns it). */
  close(): Promise<void>;
}

/** Starts the OpenAI-compatible server on `host:port` (loopback by default). */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const { app, engine, modelId } = createApp(opts);
  const host = opts.host ?? "127.0.0.1";
  try {
    await app.listen({ host, port: opts.port ?? 8080 });
  } catch (cause) {
    await engine.close();
    throw new IitError(
      "SERVE_LISTEN_FAILED",
      `cannot listen on ${host}:${opts.port ?? 8080}: ${(cause as Error).message}`,
      {
        cause,
        suggestion: "pick another --port (0 = any free port) or stop what uses it",
      },
    );
  }
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : (opts.port ?? 8080);
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/v1`,
    port,
    host,
    modelId,
    app,
    engine,
    close: async () => {
      await engine.close();
      await app.close();
    },
  };
}
