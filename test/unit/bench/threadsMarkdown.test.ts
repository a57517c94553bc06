// The table `iit bench threads --markdown` writes (README quotes it): one row per job and setting, quiet and
// loaded side by side, the share of decodes on more than one thread, and the target ratio.
import { describe, expect, it } from "vitest";
import { type BenchThreadsResult, threadsMarkdown } from "../../../src/bench/benchThreads.js";

const spread = (median: number) => ({ min: median - 0.5, median, max: median + 0.5 });

const result: BenchThreadsResult = {
  cpu: { model: "test", logical_cpus: 2, isa: [], ggml: [], load_average: [0, 0, 0] },
  model: "models/lab-base.gguf",
  load: 1,
  rounds: 3,
  cases: [
    { job: "generate", threads: "default", load: 0, seconds: spread(4), by_threads: [300, 900] },
    { job: "generate", threads: "default", load: 1, seconds: spread(5), by_threads: [1200, 0] },
    { job: "generate", threads: "1", load: 0, seconds: spread(4.5), by_threads: [1200] },
    { job: "generate", threads: "1", load: 1, seconds: spread(5.5), by_threads: [1200] },
  ],
  loaded_default_vs_quiet_1: { generate: 5 / 4.5 },
};

describe("threadsMarkdown", () => {
  it("puts each setting's quiet and loaded times on one row with the share of decodes on 2+ threads", () => {
    const md = threadsMarkdown(result);
    expect(md).toContain("| generate | default | 3.50 / 4.00 / 4.50 | 75% | 4.50 / 5.00 / 5.50 | 0% |");
    expect(md).toContain("| generate | 1 | 4.00 / 4.50 / 5.00 | 0% | 5.00 / 5.50 / 6.00 | 0% |");
    expect(md).toContain("beside 1 busy");
    expect(md).toMatch(/target ≤ 1\.5\): generate 1\.11\./);
  });

  it("leaves the share empty when a run reported no counts", () => {
    const md = threadsMarkdown({
      ...result,
      cases: [{ job: "train", threads: "2", load: 0, seconds: spread(3), by_threads: [] }],
      loaded_default_vs_quiet_1: { train: Number.NaN },
    });
    expect(md).toContain("| train | 2 | 2.50 / 3.00 / 3.50 |  |  |  |");
  });
});
