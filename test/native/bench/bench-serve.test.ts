// `iit bench serve` end to end on tiny settings: both servers start, answer every request with the asked
// token count, and the JSON carries every level, server and ratio. No timing is asserted.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { llamaToolPath } from "../../../src/bench/llamaTools.js";
import { iit } from "../../helpers/cli.js";
import { cliPath, skipNoModel, storiesModel } from "../../helpers/fixtures.js";

const llamaServer = llamaToolPath("llama-server");
const skip =
  skipNoModel ||
  (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)") ||
  (existsSync(llamaServer)
    ? false
    : `llama-server not built at ${llamaServer} (iit bench serve builds it once; about 10 min)`);

describe.skipIf(skip)("iit bench serve", () => {
  it("drives iit serve, iit serve --rules and llama-server with the same requests and reports each", () => {
    const r = iit(
      [
        "bench",
        "serve",
        "-m",
        storiesModel,
        "-t",
        "1",
        "--parallel",
        "2",
        "--context-size",
        "128",
        "--concurrency",
        "1",
        "--concurrency",
        "2",
        "--requests",
        "4",
        "-n",
        "16",
        "--rounds",
        "1",
        "--json",
      ],
      { timeout: 300_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const j = r.json();
    expect(j).toMatchObject({
      threads: 1,
      slots: 2,
      ctx: 128,
      max_tokens: 16,
      rounds: 1,
      load: 0,
      rules: "hewitt2024",
    });
    expect(j.loadavg).toHaveLength(2);
    expect(j.levels.map((l: { mode: string; concurrency: number }) => `${l.mode}/${l.concurrency}`)).toEqual([
      "complete/1",
      "complete/2",
      "stream/1",
      "stream/2",
    ]);
    for (const l of j.levels) {
      expect(l.requests).toBe(4);
      expect(Object.keys(l.servers).sort()).toEqual(["iit", "iit+rules", "llama-server"]);
      for (const s of Object.values(l.servers) as any[]) {
        // every response had exactly the asked tokens (ignore_eos on both servers)
        expect(s.completion_tokens).toEqual({ min: 16, max: 16 });
        expect(s.retries).toBeGreaterThanOrEqual(0);
        expect(s.rps.median).toBeGreaterThan(0);
        expect(s.p99_ms.median).toBeGreaterThanOrEqual(s.p50_ms.median);
        if (l.mode === "stream") expect(s.ttft_p50_ms.median).toBeGreaterThan(0);
        else expect(s.ttft_p50_ms).toBeUndefined();
      }
      expect(Object.keys(l.ratios).sort()).toEqual(["iit", "iit+rules"]);
      for (const q of Object.values(l.ratios) as any[]) {
        expect(q.rps.min).toBeGreaterThan(0);
        expect(q.p99.min).toBeGreaterThan(0);
      }
    }
  });
});

describe.skipIf(skipNoModel || (existsSync(cliPath) ? false : "CLI not built"))("iit bench serve options", () => {
  it("an invalid client count is refused before anything starts", () => {
    const r = iit(["bench", "serve", "-m", storiesModel, "--concurrency", "0", "--llama-server-bin", "/nonexistent"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--concurrency/);
  });
});
