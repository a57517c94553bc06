import { existsSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAnnotations } from "../../../../src/eval/annotations.js";
import { computeWinRate } from "../../../../src/eval/winrate.js";
import { iit } from "../../../helpers/cli.js";
import { cliPath, skipNoModel, storiesModel, tempDir } from "../../../helpers/fixtures.js";
import { iitAsync, startServe, type ServeProcess } from "../../serve/proc.js";
import { hasAlpacaEval, writeRealPairs } from "./realPairs.js";

const skip =
  skipNoModel ||
  (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)") ||
  (hasAlpacaEval ? false : "../../shared/data/alpaca_eval absent");
const KEY = { IIT_TEST_JUDGE_KEY: "secret-123" };

/**
 * A loopback proxy in front of `iit serve`: the first requests fail (500, 500, then 429 with
 * Retry-After), then it forwards; the judge answer for `garble` comes back as unparseable text.
 */
async function flakyProxy(target: string, garble: string) {
  const seen = { requests: 0, failed: 0 };
  const t = new URL(target);
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const n = seen.requests++;
      if (n < 2) return void (seen.failed++, res.writeHead(500).end("upstream exploded"));
      if (n === 2)
        return void (seen.failed++,
        res.writeHead(429, { "retry-after": "1" }).end('{"error":{"message":"rate limited"}}'));
      if (body.includes(JSON.stringify(garble).slice(1, -1))) {
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end(
          JSON.stringify({
            choices: [
              {
                index: 0,
                message: { role: "assistant", content: "Both are lovely." },
                logprobs: null,
                finish_reason: "stop",
              },
            ],
          }),
        );
      }
      const up = request(
        { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    seen,
    close: () => new Promise((r) => server.close(r)),
  };
}

describe.skipIf(skip)("iit judge over HTTP against `iit serve` on loopback", () => {
  const dir = tempDir("iit-judge-http-");
  const data = skip ? undefined : writeRealPairs(dir);
  let s: ServeProcess;
  beforeAll(async () => {
    s = await startServe(["-m", storiesModel, "-t", "1", "--api-key-env", "IIT_TEST_JUDGE_KEY"], KEY);
  });
  afterAll(async () => {
    await s?.stop();
  });
  const args = (url: string, out: string, extra: string[] = []) => [
    "judge",
    ...["--outputs", data!.outputs, "--reference", data!.reference, "-o", out, "--json"],
    ...["--judge", `openai:${url}`, "--judge-model", "stories260K", "--judge-key-env", "IIT_TEST_JUDGE_KEY"],
    ...extra,
  ];

  it("with every token's logprob the server's judgements equal the local judge's", async () => {
    const local = iit([
      "judge",
      "--outputs",
      data!.outputs,
      "--reference",
      data!.reference,
      "--judge",
      storiesModel,
      "-t",
      "1",
      "-o",
      join(dir, "local.json"),
      "--json",
    ]);
    expect(local.code, local.stderr).toBe(0);
    const out = join(dir, "http.json");
    const r = await iitAsync(args(s.url, out, ["--top-logprobs", "512", "--concurrency", "4"]), { env: KEY });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({
      pairs: 13,
      judge_calls: 12,
      identical: 1,
      missing: 0,
      judge_stats: { retries: 0, http_requests: 12 },
    });
    const [a, b] = [await readAnnotations(join(dir, "local.json")), await readAnnotations(out)];
    a.forEach((x, i) => {
      expect(b[i].is_switched_outputs).toBe(x.is_switched_outputs);
      expect(b[i].preference).toBeCloseTo(x.preference!, 5);
    });
    expect(b.every((x) => x.preference! >= 1 && x.preference! <= 2)).toBe(true);
    const again = await iitAsync(args(s.url, out, ["--top-logprobs", "512"]), { env: KEY });
    expect(again.json()).toMatchObject({ judge_calls: 0, cached: 12, judge_stats: { http_requests: 0 } });
  });

  it("AlpacaEval's own request (top 5 logprobs) works; labels outside the top 5 are missing rows, dropped as AlpacaEval drops them", async () => {
    const out = join(dir, "top5.json");
    const r = await iitAsync(args(s.url, out), { env: KEY });
    expect(r.code, r.stderr).toBe(0);
    const rows = await readAnnotations(out);
    const missing = rows.filter((x) => x.preference === null).length;
    expect(r.json().missing).toBe(missing);
    expect(r.json().metrics.n_total).toBe(13 - missing);
    const rc = rows[0].raw_completion as { logprobs: { content: { top_logprobs: unknown[] }[] } };
    expect(rc.logprobs.content[0].top_logprobs).toHaveLength(5);
  });

  it("retries a failing server with backoff, honours Retry-After, and records an unparseable answer as missing", async () => {
    const garbled = data!.instructions[3];
    const proxy = await flakyProxy(s.url, garbled);
    try {
      const out = join(dir, "flaky.json");
      const t0 = Date.now();
      const r = await iitAsync(
        args(proxy.url, out, ["--top-logprobs", "512", "--retry-delay-ms", "50", "--concurrency", "1"]),
        { env: KEY },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(Date.now() - t0).toBeGreaterThan(1000); // the 429 asked for 1 s
      const sum = r.json();
      expect(sum.judge_stats).toMatchObject({ retries: 3, rate_limited: 1, http_requests: 15 });
      expect(proxy.seen).toEqual({ requests: 15, failed: 3 });
      expect(sum).toMatchObject({ judge_calls: 12, missing: 1 });
      const rows = await readAnnotations(out);
      const bad = rows.find((x) => x.instruction === garbled)!;
      expect(bad.preference).toBeNull();
      expect(bad.raw_completion).toMatchObject({ message: { content: "Both are lovely." } });
      // Counted as AlpacaEval does: the missing row is dropped from every count.
      expect(sum.metrics).toEqual(computeWinRate(rows.filter((x) => x !== bad)));
      expect(sum.metrics.n_total).toBe(12);
      const direct = await readAnnotations(join(dir, "http.json"));
      for (const [i, x] of rows.entries()) if (x !== bad) expect(x.preference).toBeCloseTo(direct[i].preference!, 5);
    } finally {
      await proxy.close();
    }
  });

  it("a wrong key fails fast with a typed error, and the server keeps running", async () => {
    const r = await iitAsync(args(s.url, join(dir, "nokey.json"), ["--cache", join(dir, "nokey.jsonl")]), {
      env: { IIT_TEST_JUDGE_KEY: "wrong" },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error \[JUDGE_HTTP_FATAL\].*401/);
    expect(r.stdout).toBe("");
    expect(
      (await fetch(`${s.url}/models`, { headers: { authorization: `Bearer ${KEY.IIT_TEST_JUDGE_KEY}` } })).status,
    ).toBe(200);
  });
});
