import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { JudgeError } from "../../../../src/errors.js";
import { HttpJudge, retryAfterMs } from "../../../../src/eval/judge/http.js";

type Handler = (n: number, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse) => void;
const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A loopback server whose n-th request is answered by `h`. */
async function fake(h: Handler): Promise<{ url: string; times: number[] }> {
  let n = 0;
  const times: number[] = [];
  const s = createServer((req, res) => {
    let data = "";
    req.on("data", (c) => (data += c));
    req.on("end", () => {
      times.push(Date.now());
      h(n++, JSON.parse(data || "{}"), req, res);
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/v1`, times };
}

const chat = (res: ServerResponse, content: string, top?: [string, number][]) => {
  res.writeHead(200, { "content-type": "application/json" });
  const logprobs = top
    ? {
        content: [
          { token: content, logprob: top[0][1], top_logprobs: top.map(([token, logprob]) => ({ token, logprob })) },
        ],
      }
    : null;
  res.end(
    JSON.stringify({
      choices: [{ index: 0, message: { role: "assistant", content }, logprobs, finish_reason: "length" }],
    }),
  );
};

const msgs = [{ role: "user" as const, content: "judge this" }];
const L = ["m", "M"] as const;

describe("HttpJudge", () => {
  it("sends AlpacaEval's weighted request and parses the chat logprobs", async () => {
    let seen: Record<string, unknown> = {};
    let auth: string | undefined;
    const { url } = await fake((_n, body, req, res) => {
      seen = body;
      auth = req.headers.authorization;
      chat(res, "M", [
        ["M", Math.log(0.75)],
        ["m", Math.log(0.25)],
      ]);
    });
    const j = new HttpJudge({ baseUrl: url, model: "judge-x", apiKey: "sk-test" });
    const o = await j.judge(msgs, L);
    expect(seen).toMatchObject({
      model: "judge-x",
      messages: msgs,
      max_tokens: 1,
      logprobs: true,
      top_logprobs: 5,
      temperature: 0,
    });
    expect(auth).toBe("Bearer sk-test");
    expect(o.preference).toBeCloseTo(1.75, 12);
    expect(o.raw_completion).toMatchObject({ message: { content: "M" } });
  });

  it("retries 5xx and network-level garbage with backoff, and honours Retry-After on 429", async () => {
    const { url, times } = await fake((n, _b, _req, res) => {
      if (n === 0) return void res.writeHead(500).end("boom");
      if (n === 1) return void res.writeHead(200).end("not json");
      if (n === 2) return void res.writeHead(429, { "retry-after": "1" }).end('{"error":{"message":"slow down"}}');
      chat(res, "m");
    });
    const j = new HttpJudge({ baseUrl: url, model: "x", retryDelayMs: 20 });
    const o = await j.judge(msgs, L);
    expect(o.preference).toBe(1); // no logprobs: the text is parsed
    expect(j.stats()).toEqual({ http_requests: 4, retries: 3, rate_limited: 1 });
    expect(times[3] - times[2]).toBeGreaterThanOrEqual(950);
  });

  it("gives up after --retries, names the URL and says how to resume", async () => {
    const { url } = await fake((_n, _b, _r, res) => void res.writeHead(503).end("down"));
    const j = new HttpJudge({ baseUrl: url, model: "x", retries: 2, retryDelayMs: 5 });
    const e = await j.judge(msgs, L).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(JudgeError);
    expect((e as JudgeError).message).toMatch(/chat\/completions: 503 down \(gave up after 2 retries\)/);
    expect((e as JudgeError).suggestion).toMatch(/resume/);
  });

  it("fails fast on 401/404 and records a refused prompt (400) as an error for that pair only", async () => {
    const { url } = await fake(
      (n, _b, _r, res) => void res.writeHead(n === 0 ? 401 : 400).end('{"error":{"message":"too long"}}'),
    );
    const j = new HttpJudge({ baseUrl: url, model: "x" });
    await expect(j.judge(msgs, L)).rejects.toMatchObject({ code: "JUDGE_HTTP_FATAL" });
    const o = await j.judge(msgs, L);
    expect(o).toMatchObject({ preference: null, error: expect.stringMatching(/HTTP 400 .*too long/) });
  });

  it("reads Retry-After as seconds, as a date, and OpenAI's retry-after-ms", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "2" }))).toBe(2000);
    expect(retryAfterMs(new Headers({ "retry-after-ms": "150" }))).toBe(150);
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(retryAfterMs(new Headers({ "retry-after": "Wed, 01 Jan 2025 00:00:03 GMT" }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({}))).toBeUndefined();
  });
});
