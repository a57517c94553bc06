// Issue 12: a refused request enqueues nothing, shutdown with work queued exits 0, oversize input is refused early.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cliPath, skipNoModel, storiesModel } from "../../helpers/fixtures.js";
import { post, startServe } from "./proc.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");
const health = async (url: string): Promise<any> => (await fetch(url.replace(/\/v1$/, "/health"))).json();

describe.skipIf(skip)("iit serve: queue, shutdown and size limits (real process)", () => {
  it("a request that does not fit the queue is refused whole; shutdown cancels queued work and exits 0", async () => {
    const s = await startServe(["-m", storiesModel, "-t", "1", "--parallel", "1", "--max-queue", "8"]);
    let stopped = false;
    try {
      const url = `${s.url}/completions`;
      const body = (n: number, max_tokens = 200) => ({
        prompt: Array.from({ length: n }, (_, i) => `Once upon a time ${i}`),
        max_tokens,
      });

      const tooMany = await post(url, body(300));
      expect(tooMany.status, tooMany.text).toBe(400);
      expect(tooMany.json.error).toMatchObject({ code: "too_many_prompts", param: "prompt" });
      expect((await health(s.url)).queued).toBe(0);

      // 8 prompts fill the queue; the one slot takes them one by one. The next request goes in as soon as
      // the first is queued (not after a fixed wait: on a quiet machine stories260K finishes 6 prompts in
      // under 200 ms), so at least 3 of the 8 still wait and 6 more cannot fit.
      const first = post(url, body(8, 400)).catch(() => null); // cancelled by the shutdown
      while ((await health(s.url)).queued === 0) await new Promise((r) => setTimeout(r, 2));
      const full = await post(url, body(6));
      expect(full.status, full.text).toBe(429);
      expect(full.json.error.code).toBe("queue_full");
      expect((await health(s.url)).queued).toBeLessThanOrEqual(7); // none of the refused 6 was queued

      stopped = true;
      expect(await s.stop()).toBe(0);
      expect(s.stderr()).not.toMatch(/unexpected|HttpError/);
      await first;
    } finally {
      if (!stopped) await s.stop();
    }
  });

  it("an oversize body gets 413 and an impossible prompt 400 before tokenizing; /health stays responsive", async () => {
    const s = await startServe(["-m", storiesModel, "-t", "1"]);
    try {
      const url = `${s.url}/completions`;
      const huge = post(url, { prompt: "Once upon a time ".repeat(600_000), max_tokens: 4 }); // ~10 MB
      const t0 = performance.now();
      await health(s.url);
      expect(performance.now() - t0).toBeLessThan(2000); // tokenizing it would block ~10 s
      const h = await huge;
      expect(h.status, h.text).toBe(413);

      const t1 = performance.now();
      const big = await post(url, { prompt: "Once upon a time ".repeat(50_000), max_tokens: 4 }); // ~850 KB
      expect(big.status, big.text).toBe(400);
      expect(big.json.error.code).toBe("context_length_exceeded");
      expect(performance.now() - t1).toBeLessThan(1500); // tokenizing it: ~1 s

      const wrap = await post(url, { prompt: "Lily", max_tokens: 2 ** 31 });
      expect(wrap.status, wrap.text).toBe(400);
      expect(wrap.json.error.param).toBe("max_tokens");
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });
});
