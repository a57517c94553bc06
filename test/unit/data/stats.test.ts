import { describe, expect, it } from "vitest";
import { readMessagesJsonl } from "../../../src/data/messages.js";
import { computeStats, summarize } from "../../../src/data/stats.js";
import { fixture } from "./helpers.js";

describe("summarize", () => {
  it("gives total, mean, median (even and odd counts), min and max", () => {
    expect(summarize([3, 1, 2])).toEqual({ total: 6, mean: 2, median: 2, min: 1, max: 3 });
    expect(summarize([4, 1, 2, 10])).toEqual({ total: 17, mean: 4.25, median: 3, min: 1, max: 10 });
    expect(summarize([])).toEqual({ total: 0, mean: 0, median: 0, min: 0, max: 0 });
  });
});

describe("computeStats", () => {
  it("counts examples, turns, per-role characters (code points) and empty turns", async () => {
    const rows = await readMessagesJsonl(fixture("messages/sample.jsonl"));
    const s = await computeStats(rows);
    expect(s).toMatchObject({ examples: 2, turns: 7, multiTurn: 1 });
    // "Say hi." 7, "2+2?" 4, "3+3?" 4
    expect(s.user).toEqual({ turns: 3, empty: 0, chars: { total: 15, mean: 5, median: 4, min: 4, max: 7 } });
    // "Hi! 👋" is 5 code points
    expect(s.assistant.chars).toEqual({ total: 7, mean: 7 / 3, median: 1, min: 1, max: 5 });
    expect(s.system?.turns).toBe(1);
    expect(s.tokens).toBeUndefined();
    expect(s.user.tokens).toBeUndefined();
  });

  it("adds token counts from the given tokenizer, sync or async", async () => {
    const rows = await readMessagesJsonl(fixture("messages/sample.jsonl"));
    const words = (t: string) => t.split(/\s+/).filter(Boolean).length;
    const s = await computeStats(rows, { countTokens: async (t) => words(t) });
    expect(s.user.tokens).toEqual({ total: 4, mean: 4 / 3, median: 1, min: 1, max: 2 });
    expect(s.tokens).toBe(4 + 4 + 2);
    expect((await computeStats(rows, { countTokens: words })).tokens).toBe(10);
  });

  it("counts the empty user turns of response-tuning data", async () => {
    const s = await computeStats([
      {
        id: "a",
        messages: [
          { role: "user", content: "" },
          { role: "assistant", content: "ok" },
        ],
      },
    ]);
    expect(s.user).toMatchObject({ turns: 1, empty: 1 });
    expect(s.system).toBeUndefined();
  });
});
