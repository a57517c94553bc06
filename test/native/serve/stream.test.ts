// Issue 23 item 3: stream: true on both endpoints, read by the official `openai` client and by a raw SSE parser.
import { existsSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeLora } from "../../../src/model/makeLora.js";
import { cliPath, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";
import { post, startServe, type ServeProcess } from "./proc.js";
import { chunksOf, sse } from "./sse.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");
const chat = (content: string) => [{ role: "user" as const, content }];
const health = async (url: string): Promise<any> => (await fetch(url.replace(/\/v1$/, "/health"))).json();

/** Concatenates an openai chat stream; checks the chunk protocol on the way. */
async function readChat(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  let text = "";
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | null | undefined;
  const logprobs: OpenAI.Chat.Completions.ChatCompletionTokenLogprob[] = [];
  let chunks = 0;
  let withLogprobs = 0;
  for await (const c of stream) {
    chunks++;
    expect(c.object).toBe("chat.completion.chunk");
    if (c.choices.length === 0) {
      usage = c.usage; // the last chunk when include_usage
      continue;
    }
    expect(finish, "nothing of a choice after its finish_reason").toBeNull();
    const ch = c.choices[0];
    text += ch.delta.content ?? "";
    logprobs.push(...(ch.logprobs?.content ?? []));
    if (ch.logprobs?.content?.length) withLogprobs++;
    finish = ch.finish_reason;
  }
  return { text, finish, usage, logprobs, chunks, withLogprobs };
}

type ChatLogprob = OpenAI.Chat.Completions.ChatCompletionTokenLogprob;

/**
 * A stream's logprobs are made while decoding (batch shapes of generation), the non-stream ones by a
 * scoring pass over the finished text: the same tokens and alternatives, values equal up to float noise.
 */
function expectSameLogprobs(streamed: ChatLogprob[], whole: ChatLogprob[], digits = 3) {
  expect(streamed.map((t) => [t.token, t.bytes, t.top_logprobs.map((a) => a.token)])).toEqual(
    whole.map((t) => [t.token, t.bytes, t.top_logprobs.map((a) => a.token)]),
  );
  streamed.forEach((t, i) => {
    expect(t.logprob).toBeCloseTo(whole[i].logprob, digits);
    for (const [j, a] of t.top_logprobs.entries())
      expect(a.logprob).toBeCloseTo(whole[i].top_logprobs[j].logprob, digits);
  });
}

describe.skipIf(skip)("iit serve: stream: true (real process, loopback)", () => {
  let s: ServeProcess;
  let client: OpenAI;
  beforeAll(async () => {
    s = await startServe(["-m", storiesModel, "-t", "1", "--parallel", "4", "--context-size", "4096"]);
    client = new OpenAI({ baseURL: s.url, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(async () => {
    expect(await s?.stop()).toBe(0);
  });

  it("the openai client streams a chat completion: same text, finish_reason and usage as without stream", async () => {
    const body = { model: s.model, messages: chat("Tell me a story about a cat."), max_tokens: 24 };
    const whole = await client.chat.completions.create(body);
    const r = await readChat(
      await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }),
    );
    expect(r.text).toBe(whole.choices[0].message.content);
    expect(r.finish).toBe(whole.choices[0].finish_reason);
    expect(r.usage).toEqual(whole.usage);
    expect(r.chunks).toBeGreaterThan(10); // a chunk per token or so, not one blob

    const stop = [whole.choices[0].message.content!.split(" ").slice(3, 5).join(" ")]; // a stop string it meets
    const stopped = await readChat(await client.chat.completions.create({ ...body, stream: true, stop }));
    const stoppedWhole = await client.chat.completions.create({ ...body, stop });
    expect(stopped.text).toBe(stoppedWhole.choices[0].message.content);
    expect(stopped.finish).toBe("stop");
    expect(stopped.usage).toBeUndefined(); // no usage chunk unless asked
  });

  it("the openai client streams legacy completions, several prompts interleaved by index", async () => {
    const prompts = ["Once upon a time", "Lily", "Tom had a dog"];
    const whole = await client.completions.create({ model: s.model, prompt: prompts, max_tokens: 16 });
    const texts = prompts.map(() => "");
    const finish: (string | null)[] = prompts.map(() => null);
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const c of await client.completions.create({
      model: s.model,
      prompt: prompts,
      max_tokens: 16,
      stream: true,
      stream_options: { include_usage: true },
    })) {
      if (c.usage) usage = c.usage;
      for (const ch of c.choices) {
        expect(finish[ch.index]).toBeNull();
        texts[ch.index] += ch.text;
        finish[ch.index] = ch.finish_reason;
      }
    }
    expect(texts).toEqual(whole.choices.map((c) => c.text));
    expect(finish).toEqual(whole.choices.map((c) => c.finish_reason));
    expect(usage).toEqual(whole.usage);
  });

  it("logprobs stream with their tokens and are the non-stream logprobs (chat and legacy)", async () => {
    const body = {
      model: s.model,
      messages: chat("Tell me a story about a dog."),
      max_tokens: 12,
      logprobs: true,
      top_logprobs: 3,
    };
    const whole = await client.chat.completions.create(body);
    const r = await readChat(await client.chat.completions.create({ ...body, stream: true }));
    expect(r.text).toBe(whole.choices[0].message.content);
    expectSameLogprobs(r.logprobs, whole.choices[0].logprobs!.content!);
    expect(r.withLogprobs).toBeGreaterThan(5); // chunk by chunk, not all at the end

    const legacy = { model: s.model, prompt: "Once upon a time", max_tokens: 8, logprobs: 2 };
    const w = (await client.completions.create(legacy)).choices[0].logprobs!;
    const got = {
      tokens: [] as string[],
      token_logprobs: [] as number[],
      top: [] as string[][],
      text_offset: [] as number[],
    };
    for await (const c of await client.completions.create({ ...legacy, stream: true })) {
      const lp = c.choices[0]?.logprobs;
      if (!lp) continue;
      got.tokens.push(...lp.tokens!);
      got.token_logprobs.push(...lp.token_logprobs!);
      got.top.push(...lp.top_logprobs!.map((m) => Object.keys(m)));
      got.text_offset.push(...lp.text_offset!);
    }
    expect(got.tokens).toEqual(w.tokens);
    expect(got.text_offset).toEqual(w.text_offset);
    expect(got.top).toEqual(w.top_logprobs!.map((m) => Object.keys(m)));
    for (const [i, x] of got.token_logprobs.entries()) expect(x).toBeCloseTo(w.token_logprobs![i], 3);

    // a one-token greedy request (a judge's) streams its logprobs too
    const one = await readChat(await client.chat.completions.create({ ...body, max_tokens: 1, stream: true }));
    expect(one.logprobs).toHaveLength(1);
    expect(one.logprobs[0].token).toBe(whole.choices[0].logprobs!.content![0].token);
  });

  it("raw SSE: text/event-stream, tokens arrive as they are generated, data: [DONE] last", async () => {
    const t0 = performance.now();
    const r = await sse(`${s.url}/completions`, { prompt: "Once upon a time", max_tokens: 1200, stream: true });
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(r.events.at(-1)!.data).toBe("[DONE]");
    const chunks = chunksOf(r);
    expect(chunks.length).toBeGreaterThan(600);
    const text = chunks.map((c) => c.choices[0].text).join("");
    const whole = await post(`${s.url}/completions`, { prompt: "Once upon a time", max_tokens: 1200 });
    expect(text).toBe(whole.json.choices[0].text);
    // The first text arrives long before the last: streamed, not sent at the end.
    const first = r.events[0].at - t0;
    const last = r.events.at(-1)!.at - t0;
    expect(first).toBeLessThan(last / 4);
  });

  it("a client that disconnects mid-stream frees its slot: the next request does not wait for its max_tokens", async () => {
    // 4000 tokens take this server ~15 s; the client leaves after 5 chunks.
    const gone = await sse(
      `${s.url}/completions`,
      { prompt: "Once upon a time", max_tokens: 4000, stream: true },
      (ev) => ev.length >= 5,
    );
    expect(gone.events.length).toBeGreaterThanOrEqual(5);
    const t0 = performance.now();
    const next = await post(`${s.url}/completions`, { prompt: "Lily", max_tokens: 8 });
    expect(next.status, next.text).toBe(200);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect((await health(s.url)).queued).toBe(0);
  });

  it("a request that arrives while a batch with its settings runs joins that batch (continuous batching)", async () => {
    const body = (prompt: string, stream: boolean) => ({ prompt, max_tokens: 600, ignore_eos: true, stream });
    const b0 = (await health(s.url)).batches;
    const first = sse(`${s.url}/completions`, body("Once upon a time", true));
    // wait until the first one is generating, then send the second
    while ((await health(s.url)).batches === b0) await new Promise((r) => setTimeout(r, 5));
    const second = await post(`${s.url}/completions`, body("Lily", false));
    const streamed = await first;
    expect(second.status, second.text).toBe(200);
    expect(second.json.usage.completion_tokens).toBe(600);
    expect(streamed.events.at(-1)!.data).toBe("[DONE]");
    // one batch for both: without continuous batching the second waits for the first to end and runs alone
    expect((await health(s.url)).batches - b0).toBe(1);
  });

  it("a client that leaves a shared batch stops only its own sequence; the other stream is whole", async () => {
    const body = (prompt: string) => ({ prompt, max_tokens: 300, stream: true });
    const b0 = (await health(s.url)).batches;
    // other settings keep the model busy meanwhile, so the two streams wait together and share the next batch
    const busy = post(`${s.url}/completions`, { prompt: "The", max_tokens: 400 });
    await new Promise((r) => setTimeout(r, 50));
    const [gone, stays] = await Promise.all([
      sse(`${s.url}/completions`, body("Once upon a time"), (ev) => ev.length >= 5),
      sse(`${s.url}/completions`, body("Lily")),
    ]);
    expect((await busy).status).toBe(200);
    expect(gone.events.length).toBeLessThan(50);
    expect(stays.events.at(-1)!.data).toBe("[DONE]");
    expect((await health(s.url)).batches - b0).toBe(2); // the busy one, then one for both streams
    const whole = await post(`${s.url}/completions`, { prompt: "Lily", max_tokens: 300 });
    expect(
      chunksOf(stays)
        .map((c) => c.choices[0].text)
        .join(""),
    ).toBe(whole.json.choices[0].text);
    expect(chunksOf(stays).at(-1).choices[0].finish_reason).toBe("length");
  });
});

describe.skipIf(skip)("iit serve --rules --lora: streams of the adapted model", () => {
  it("streams the same text and logprobs as the adapted model answers without stream", async () => {
    const lora = await makeLora({
      base: storiesModel,
      output: join(tempDir(), "live.gguf"),
      rank: 4,
      targets: ["attn_q", "ffn_up"],
      bStd: 0.5,
      seed: 3,
    });
    const plain = await startServe(["-m", storiesModel, "-t", "1"]);
    const s = await startServe(["-m", storiesModel, "-t", "1", "--rules", "hewitt2024", "--lora", lora.path]);
    try {
      const client = new OpenAI({ baseURL: s.url, apiKey: "unused", maxRetries: 0 });
      const body = {
        model: s.model,
        messages: chat("Tell me a story"),
        max_tokens: 30,
        logprobs: true,
        top_logprobs: 2,
      };
      const whole = await client.chat.completions.create(body);
      const r = await readChat(await client.chat.completions.create({ ...body, stream: true }));
      expect(r.text).toBe(whole.choices[0].message.content);
      // under the rules: the product distribution, as the non-stream scoring pass computes it (a rule
      // state out of step would be off by a whole rule score, 1.5 or more; the LoRA's float noise is < 1e-3)
      expectSameLogprobs(r.logprobs, whole.choices[0].logprobs!.content!, 2);
      expect(r.withLogprobs).toBeGreaterThan(5);
      // the adapters act: the plain model says something else
      const base = await post(`${plain.url}/chat/completions`, { messages: chat("Tell me a story"), max_tokens: 30 });
      expect(base.json.choices[0].message.content).not.toBe(r.text);
      const raw = await sse(`${s.url}/completions`, { prompt: "Once upon a time", max_tokens: 20, stream: true });
      const w = await post(`${s.url}/completions`, { prompt: "Once upon a time", max_tokens: 20 });
      expect(
        chunksOf(raw)
          .map((c) => c.choices[0].text)
          .join(""),
      ).toBe(w.json.choices[0].text);
    } finally {
      expect(await s.stop()).toBe(0);
      expect(await plain.stop()).toBe(0);
    }
  });
});

describe.skipIf(skip)("iit serve: the limits of docs/guarantees.md hold for streams", () => {
  it("refusals are JSON errors before any event; shutdown: 503 for queued streams, an error event for the running one, exit 0", async () => {
    const s = await startServe([
      "-m",
      storiesModel,
      "-t",
      "1",
      "--parallel",
      "1",
      "--max-queue",
      "2",
      "--context-size",
      "4096",
    ]);
    let stopped = false;
    try {
      const url = `${s.url}/completions`;
      const long = { prompt: "Once upon a time", max_tokens: 4000, stream: true };
      const refused = async (body: object, status: number, code: string | null, param?: string) => {
        const r = await sse(url, body);
        expect(r.status, r.body).toBe(status);
        expect(r.headers["content-type"]).toMatch(/^application\/json/);
        expect(r.events).toEqual([]);
        const e = JSON.parse(r.body).error;
        expect(e.code).toBe(code);
        if (param) expect(e.param).toBe(param);
        return r;
      };
      await refused({ prompt: ["a", "b", "c"], stream: true }, 400, "too_many_prompts", "prompt");
      await refused({ prompt: "Once upon a time ".repeat(5000), stream: true }, 400, "context_length_exceeded");
      await refused({ prompt: "Lily", max_tokens: 2 ** 31, stream: true }, 400, null, "max_tokens");
      await refused({ prompt: "Lily", stream_options: { include_usage: true } }, 400, null, "stream_options");

      // one stream runs, two wait, the next is refused whole with Retry-After
      let running = 0;
      const first = sse(url, long, (ev) => {
        running = ev.length;
        return false;
      });
      while (running === 0) await new Promise((r) => setTimeout(r, 20));
      // a queued stream whose client leaves before it starts is dropped, and the server carries on
      const leaver = new AbortController();
      const left = fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(long),
        signal: leaver.signal,
      }).catch((e) => e);
      await new Promise((r) => setTimeout(r, 200));
      expect((await health(s.url)).queued).toBe(1);
      leaver.abort();
      await left;
      await new Promise((r) => setTimeout(r, 100));
      expect((await health(s.url)).queued).toBe(0);

      const queued = [sse(url, long), sse(url, long)];
      await new Promise((r) => setTimeout(r, 200));
      expect((await health(s.url)).queued).toBe(2);
      const full = await refused(long, 429, "queue_full");
      expect(full.headers["retry-after"]).toBe("1");

      stopped = true;
      expect(await s.stop()).toBe(0);
      const run = await first;
      expect(run.status).toBe(200);
      const last = JSON.parse(run.events.at(-1)!.data);
      expect(last.error.message).toMatch(/cancel|shutting down/);
      for (const q of await Promise.all(queued)) {
        expect(q.status, q.body).toBe(503);
        expect(JSON.parse(q.body).error.message).toMatch(/shutting down/);
      }
      expect(s.stderr()).not.toMatch(/unexpected|HttpError|Error:/);
    } finally {
      if (!stopped) await s.stop();
    }
  });
});
