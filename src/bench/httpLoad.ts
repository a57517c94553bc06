// A closed-loop HTTP load generator for OpenAI-compatible /v1/completions: C clients, each sending its next
// request as soon as its last one is answered, until N requests are done. Plain node:http, so the client's own
// cost per request stays small next to the servers it measures on the same cores.
import { Agent, request } from "node:http";
import { IitError } from "../errors.js";

export interface LoadRun {
  /** From the first request sent to the last response read. */
  seconds: number;
  /** Per request, in the order they completed. */
  latencyMs: number[];
  /** Streaming only: until the first chunk with text. */
  ttftMs: number[];
  /** Per request: usage.completion_tokens as the server reported it. */
  completionTokens: number[];
  /** Requests sent again because the server closed the connection before any response. */
  retries: number;
}

interface One {
  latencyMs: number;
  ttftMs?: number;
  completionTokens: number;
}

function completionTokens(json: { usage?: { completion_tokens?: number } | null }): number | undefined {
  return json.usage?.completion_tokens;
}

/** One POST; for a stream, the events are read as they arrive to time the first text. */
function once(agent: Agent, url: URL, body: object, stream: boolean): Promise<One> {
  const data = JSON.stringify(body);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) },
      },
      (res) => {
        res.setEncoding("utf8");
        let buf = "";
        let ttftMs: number | undefined;
        let tokens: number | undefined;
        const fail = (why: string) => reject(new IitError("BENCH_FAILED", `${url}: ${why}`));
        res.on("data", (chunk: string) => {
          buf += chunk;
          if (!stream || res.statusCode !== 200) return;
          // Parse only what matters: events up to the first with text, then only a usage event.
          let end = buf.indexOf("\n\n");
          while (end >= 0) {
            const ev = buf.slice(0, end);
            buf = buf.slice(end + 2);
            end = buf.indexOf("\n\n");
            if (!ev.startsWith("data: ") || ev === "data: [DONE]") continue;
            if (ttftMs !== undefined && !ev.includes('"usage":{')) continue;
            const j = JSON.parse(ev.slice(6));
            if (ttftMs === undefined && j.choices?.[0]?.text) ttftMs = performance.now() - t0;
            tokens = completionTokens(j) ?? tokens;
          }
        });
        res.on("error", reject);
        res.on("end", () => {
          const latencyMs = performance.now() - t0;
          if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode}: ${buf.slice(0, 400)}`);
          if (!stream) tokens = completionTokens(JSON.parse(buf));
          if (tokens === undefined) return fail("no usage.completion_tokens in the response");
          if (stream && ttftMs === undefined) return fail("the stream carried no text");
          resolve({ latencyMs, ttftMs, completionTokens: tokens });
        });
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

/** Sends `requests` POSTs to `url` from `concurrency` clients; `body(i)` is the i-th request. */
export async function driveCompletions(o: {
  url: string;
  concurrency: number;
  requests: number;
  stream: boolean;
  body: (i: number) => object;
}): Promise<LoadRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const url = new URL(o.url);
  const out: LoadRun = { seconds: 0, latencyMs: [], ttftMs: [], completionTokens: [], retries: 0 };
  let next = 0;
  const t0 = performance.now();
  const client = async () => {
    while (next < o.requests) {
      let r: One | undefined;
      const body = o.body(next++);
      for (let attempt = 0; !r; attempt++) {
        try {
          r = await once(agent, url, body, o.stream);
        } catch (e) {
          // llama-server (cpp-httplib) now and then closes a connection before answering a streamed
          // request; that request is sent again (and timed from then), and counted.
          if ((e as { code?: string }).code === "ECONNRESET" && attempt < 3) {
            out.retries++;
            continue;
          }
          next = o.requests; // the other clients stop too
          throw e;
        }
      }
      out.latencyMs.push(r.latencyMs);
      if (r.ttftMs !== undefined) out.ttftMs.push(r.ttftMs);
      out.completionTokens.push(r.completionTokens);
    }
  };
  try {
    await Promise.all(Array.from({ length: o.concurrency }, client));
  } finally {
    agent.destroy();
  }
  out.seconds = (performance.now() - t0) / 1000;
  return out;
}

/** The nearest-rank percentile (p in (0, 1]) of a non-empty list. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(p * s.length) - 1)];
}
