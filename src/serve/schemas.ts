import { z } from "zod";
import { INT32_MAX, UINT32_MAX } from "../util/numbers.js";

/** An OpenAI-style error: `{ error: { message, type, param, code } }` with an HTTP status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = "invalid_request_error",
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

const nullish = <T extends z.ZodType>(t: T) => t.nullish();

/** Fields shared by both endpoints. Unknown fields are ignored, as OpenAI clients send many. */
const sampling = {
  model: nullish(z.string()),
  max_tokens: nullish(z.number().int().min(1).max(INT32_MAX)),
  max_completion_tokens: nullish(z.number().int().min(1).max(INT32_MAX)),
  temperature: nullish(z.number().min(0).max(2)),
  top_p: nullish(z.number().gt(0).max(1)),
  /** Extensions (llama.cpp / vLLM spell them the same way). */
  top_k: nullish(z.number().int().min(0).max(INT32_MAX)),
  min_p: nullish(z.number().min(0).lt(1)),
  /** Keep going past end-of-generation tokens (llama.cpp's field; benchmarks need fixed lengths). */
  ignore_eos: nullish(z.boolean()),
  seed: nullish(z.number().int().min(0).max(UINT32_MAX)),
  stop: nullish(z.union([z.string(), z.array(z.string()).max(16)])),
  n: nullish(z.literal(1, { error: "only n = 1 is supported" })),
  best_of: nullish(z.literal(1, { error: "only best_of = 1 is supported" })),
  stream: nullish(z.boolean()),
  stream_options: nullish(z.looseObject({ include_usage: nullish(z.boolean()) })),
  presence_penalty: nullish(z.literal(0, { error: "presence_penalty is not supported (only 0)" })),
  frequency_penalty: nullish(z.literal(0, { error: "frequency_penalty is not supported (only 0)" })),
};

const text = z.union([
  z.string(),
  z.array(
    z.looseObject({ type: z.literal("text", { error: "only text content parts are supported" }), text: z.string() }),
  ),
]);

export function chatSchema(maxTop: number) {
  return z.looseObject({
    ...sampling,
    messages: z
      .array(
        z.looseObject({
          role: z.enum(["system", "developer", "user", "assistant"]),
          content: text.nullish(),
        }),
      )
      .min(1, { error: "messages must not be empty" }),
    logprobs: nullish(z.boolean()),
    top_logprobs: nullish(z.number().int().min(0).max(maxTop)),
  });
}

export function completionSchema(maxTop: number) {
  return z.looseObject({
    ...sampling,
    prompt: z.union([z.string(), z.array(z.string()).min(1, { error: "prompt must not be an empty list" })]),
    logprobs: nullish(z.number().int().min(0).max(maxTop)),
    echo: nullish(z.literal(false, { error: "echo is not supported" })),
    suffix: nullish(z.literal("", { error: "suffix is not supported" })),
  });
}

/** OpenAI refuses stream_options without stream: true; so does this server. */
export function streamRequest(b: {
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
}) {
  if (b.stream_options != null && b.stream !== true) {
    throw new HttpError(
      400,
      "stream_options is only allowed with stream: true",
      "invalid_request_error",
      "stream_options",
    );
  }
  return b.stream === true ? { includeUsage: b.stream_options?.include_usage === true } : null;
}

export type ChatRequest = z.infer<ReturnType<typeof chatSchema>>;
export type CompletionRequest = z.infer<ReturnType<typeof completionSchema>>;

/** Validates a body, turning the first zod issue into a 400 naming the field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new HttpError(400, "the request body must be a JSON object");
  }
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const param = issue.path.join(".") || null;
  throw new HttpError(400, param ? `${param}: ${issue.message}` : issue.message, "invalid_request_error", param);
}

/** A message's text: a string, or the concatenated text parts. */
export function contentText(c: string | { text: string }[] | null | undefined): string {
  if (c === null || c === undefined) return "";
  return typeof c === "string" ? c : c.map((p) => p.text).join("");
}
