import { describe, expect, it } from "vitest";
import { perplexityRate } from "../../../src/bench/benchScore.js";

// llama_perf's line as llama-perplexity (pinned commit) printed it for `-c 967 --chunks 2` on the 32k-vocab
// test model; with `--chunks 1` the same line read 0.69 ms / 967 tokens: the first chunk is counted, not timed.
const twoChunks =
  "0.01.790.112 I llama_perf_context_print:        load time =      62.10 ms\n" +
  "0.01.790.118 I llama_perf_context_print: prompt eval time =     515.06 ms /  1934 tokens (    0.27 ms per token,  3754.92 tokens per second)\n";

describe("perplexityRate", () => {
  it("rates the timed chunks only: the counted tokens less the untimed first chunk", () => {
    expect(perplexityRate(twoChunks, 967, 2)).toBeCloseTo(967 / 0.51506, 6);
  });
  it("refuses a run that evaluated fewer chunks than asked (text too short)", () => {
    expect(() => perplexityRate(twoChunks, 967, 3)).toThrow(/1934 tokens, not 3 chunks of 967/);
  });
  it("refuses output without llama_perf's line", () => {
    expect(() => perplexityRate("perplexity: calculating perplexity over 2 chunks\n", 967, 2)).toThrow(
      /no prompt eval time/,
    );
  });
});
