import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { loadModel } from "../../../src/model/Model.js";
import { makeLora } from "../../../src/model/makeLora.js";
import { startServer } from "../../../src/serve/server.js";
import { cliPath, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";
import { post, startServe, type ServeProcess } from "./proc.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");
const STORY = /^, there was a little girl named Lily/;

describe.skipIf(skip)("iit serve: an OpenAI-compatible server over our engine (real process, loopback)", () => {
  let s: ServeProcess;
  beforeAll(async () => {
    s = await startServe(["-m", storiesModel, "-t", "1", "--parallel", "4"]);
  });
  afterAll(async () => {
    expect(await s?.stop()).toBe(0);
  });

  it("lists its one model on 127.0.0.1", async () => {
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const r = await (await fetch(`${s.url}/models`)).json();
    expect(r).toMatchObject({
      object: "list",
      data: [{ id: "stories260K", object: "model", owned_by: "implicit-instruct" }],
    });
  });

  it("/v1/completions: greedy text as `iit generate`, legacy logprobs", async () => {
    const r = await post(`${s.url}/completions`, {
      model: "stories260K",
      prompt: "Once upon a time",
      max_tokens: 24,
      logprobs: 3,
    });
    expect(r.status, r.text).toBe(200);
    const c = r.json.choices[0];
    expect(c.text).toMatch(STORY);
    expect(c.finish_reason).toBe("length");
    expect(r.json.usage).toMatchObject({ completion_tokens: 24, total_tokens: r.json.usage.prompt_tokens + 24 });
    const lp = c.logprobs;
    expect(lp.tokens.join("")).toBe(c.text);
    expect(lp.token_logprobs).toHaveLength(24);
    expect(lp.text_offset[0]).toBe("Once upon a time".length);
    lp.top_logprobs.forEach((m: Record<string, number>, i: number) => {
      expect(Object.keys(m).length).toBeLessThanOrEqual(3);
      // Greedy: the chosen token is the most likely one.
      expect(Math.max(...Object.values(m))).toBeCloseTo(lp.token_logprobs[i], 5);
    });
  });

  it("ignore_eos (llama.cpp's field) is accepted and checked", async () => {
    // stories260K never ends a greedy story by itself, so this shows the field reaches generation, not EOS skipped
    const r = await post(`${s.url}/completions`, { prompt: "Once upon a time", max_tokens: 40, ignore_eos: true });
    expect(r.status, r.text).toBe(200);
    expect(r.json.choices[0].finish_reason).toBe("length");
    expect(r.json.usage.completion_tokens).toBe(40);
    const bad = await post(`${s.url}/completions`, { prompt: "Once upon a time", ignore_eos: "yes" });
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe("ignore_eos");
  });

  it("/v1/chat/completions: OpenAI's chat logprobs format (what AlpacaEval's parser reads)", async () => {
    const r = await post(`${s.url}/chat/completions`, {
      messages: [{ role: "user", content: "Tell me a story about a cat." }],
      max_tokens: 12,
      logprobs: true,
      top_logprobs: 4,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({
      object: "chat.completion",
      model: "stories260K",
      choices: [{ index: 0, message: { role: "assistant" } }],
    });
    const c = r.json.choices[0];
    const content = c.logprobs.content as {
      token: string;
      logprob: number;
      bytes: number[];
      top_logprobs: { token: string; logprob: number }[];
    }[];
    expect(content.map((t) => t.token).join("")).toBe(c.message.content);
    for (const t of content) {
      expect(t.top_logprobs).toHaveLength(4);
      expect(t.top_logprobs[0]).toMatchObject({ token: t.token, logprob: t.logprob });
      expect(Buffer.from(t.bytes).toString("utf8")).toBe(t.token);
    }
    // One greedy token with logprobs (the judge's request) takes the single-pass path: same answer.
    const one = await post(`${s.url}/chat/completions`, {
      messages: [{ role: "user", content: "Tell me a story about a cat." }],
      max_tokens: 1,
      logprobs: true,
      top_logprobs: 4,
    });
    const first = one.json.choices[0].logprobs.content[0];
    expect(first.token).toBe(content[0].token);
    expect(first.top_logprobs.map((t: { token: string }) => t.token)).toEqual(
      content[0].top_logprobs.map((t) => t.token),
    );
    expect(first.logprob).toBeCloseTo(content[0].logprob, 4); // other batch shapes: float noise only
  });

  it("batches concurrent requests, with the same results as one at a time", async () => {
    const prompts = [
      "Once upon a time",
      "Lily",
      "Tom had a dog",
      "The sun",
      "One day",
      "The cat",
      "A bird",
      "Mom said",
    ];
    const body = (p: string) => ({ prompt: p, max_tokens: 16 });
    const alone = [];
    for (const p of prompts) alone.push((await post(`${s.url}/completions`, body(p))).json.choices[0].text);
    const together = await Promise.all(prompts.map((p) => post(`${s.url}/completions`, body(p))));
    expect(together.map((r) => r.status)).toEqual(prompts.map(() => 200));
    expect(together.map((r) => r.json.choices[0].text)).toEqual(alone);
    const many = await post(`${s.url}/completions`, { prompt: prompts.slice(0, 3), max_tokens: 16 });
    expect(many.json.choices.map((c: { index: number; text: string }) => [c.index, c.text])).toEqual(
      alone.slice(0, 3).map((t, i) => [i, t]),
    );
    const health = (await (await fetch(`${s.url.replace(/\/v1$/, "")}/health`)).json()) as { max_batch: number };
    expect(health.max_batch).toBeGreaterThan(1);
  });

  it("answers malformed requests with 4xx JSON errors and keeps serving", async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ["completions", "{not json", 400, /JSON/],
      ["completions", {}, 400, /prompt/],
      ["completions", { prompt: 5 }, 400, /prompt/],
      ["completions", { prompt: "x", max_tokens: -1 }, 400, /max_tokens/],
      ["completions", { prompt: "x", logprobs: 100000 }, 400, /logprobs/],
      ["chat/completions", { messages: [] }, 400, /messages/],
      ["chat/completions", { messages: [{ role: "wizard", content: "x" }] }, 400, /role/],
      ["chat/completions", { messages: [{ role: "user", content: "x" }], top_logprobs: 2 }, 400, /logprobs: true/],
      ["chat/completions", { messages: [{ role: "user", content: "x" }], stream: "yes" }, 400, /stream/],
      ["chat/completions", { messages: [{ role: "user", content: "x" }], n: 3 }, 400, /n = 1/],
      ["chat/completions", { messages: [{ role: "assistant", content: "x" }] }, 400, /last message/],
      ["chat/completions", { messages: [{ role: "user", content: "word ".repeat(3000) }] }, 400, /context/],
      ["nope", {}, 404, /no route/],
    ];
    for (const [path, body, status, msg] of cases) {
      const r = await post(`${s.url}/${path}`, body);
      expect([path, r.status], r.text).toEqual([path, status]);
      expect(r.json.error.message).toMatch(msg);
      expect(r.json.error.type).toBe("invalid_request_error");
    }
    const ok = await post(`${s.url}/completions`, { prompt: "Once upon a time", max_tokens: 24 });
    expect(ok.json.choices[0].text).toMatch(STORY);
  });
});

describe.skipIf(skipNoModel)("serve library: queue limit and API key", () => {
  it("returns 429 with Retry-After when the queue is full, 401 without the key, and never crashes", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    const srv = await startServer({ model, port: 0, parallel: 1, maxQueue: 2, apiKey: "k" });
    try {
      const h = { authorization: "Bearer k" };
      expect((await post(`${srv.url}/completions`, { prompt: "x" })).status).toBe(401);
      const rs = await Promise.all(
        Array.from({ length: 8 }, () =>
          post(`${srv.url}/completions`, { prompt: "Once upon a time", max_tokens: 64 }, h),
        ),
      );
      const codes = rs.map((r) => r.status);
      expect(codes.filter((c) => c === 200).length).toBeGreaterThanOrEqual(2);
      const busy = rs.filter((r) => r.status === 429);
      expect(busy.length).toBeGreaterThan(0);
      expect(busy[0].headers.get("retry-after")).toBe("1");
      expect(busy[0].json.error.type).toBe("rate_limit_error");
      expect(
        (await post(`${srv.url}/completions`, { prompt: "Once upon a time", max_tokens: 24 }, h)).json.choices[0].text,
      ).toMatch(STORY);
    } finally {
      await srv.close();
    }
  });
});

describe.skipIf(skip)("iit serve with adapters", () => {
  it("--lora: the served model is the adapted one (same text as generating with the adapter in-process)", async () => {
    const lora = await makeLora({
      base: storiesModel,
      output: join(tempDir(), "live.gguf"),
      rank: 4,
      targets: ["attn_q", "ffn_up"],
      bStd: 0.5,
      seed: 3,
    });
    let adapted: string;
    {
      await using m = await loadModel({ model: storiesModel, threads: 1, loras: [{ path: lora.path }] });
      adapted = (await m.generate("Once upon a time", { template: "raw", maxTokens: 24 }))[0].output;
    }
    const s = await startServe(["-m", storiesModel, "-t", "1", "--lora", lora.path]);
    try {
      expect(s.model).toBe("stories260K+live");
      const r = await post(`${s.url}/completions`, { prompt: "Once upon a time", max_tokens: 24 });
      expect(r.json.choices[0].text).toBe(adapted);
      expect(r.json.choices[0].text).not.toMatch(STORY);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it("--rules: serves the rule-adapted model, with logprobs of the rule-adapted distribution", async () => {
    const s = await startServe(["-m", storiesModel, "-t", "1", "--rules", "hewitt2024"]);
    try {
      const body = { messages: [{ role: "user", content: "Tell me a story" }], max_tokens: 30 };
      const r = await post(`${s.url}/chat/completions`, body);
      expect(r.status, r.text).toBe(200);
      expect(typeof r.json.choices[0].message.content).toBe("string");
      const lp = await post(`${s.url}/chat/completions`, { ...body, logprobs: true, top_logprobs: 2 });
      expect(lp.status, lp.text).toBe(200);
      expect(lp.json.choices[0].message.content).toBe(r.json.choices[0].message.content);
      // Greedy under the product distribution: each token is the top-1 of its own logprobs.
      const content = lp.json.choices[0].logprobs.content as {
        token: string;
        logprob: number;
        top_logprobs: { token: string; logprob: number }[];
      }[];
      expect(content.length).toBeGreaterThan(0);
      for (const c of content) expect(c.logprob).toBeCloseTo(c.top_logprobs[0].logprob, 5);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });
});
