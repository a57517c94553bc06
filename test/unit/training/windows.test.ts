import { describe, expect, it } from "vitest";
import { buildWindows } from "../../../src/training/examples.js";
import { learningRate } from "../../../src/training/schedule.js";
import { permutation } from "../../../src/util/random.js";

describe("learning-rate schedule", () => {
  it("warms up linearly, then decays linearly, and never reaches 0 (ggml's AdamW rejects it)", () => {
    const lrs = Array.from({ length: 10 }, (_, s) => learningRate(s, 10, 2, 1));
    expect(lrs).toEqual([0.5, 1, 1, 7 / 8, 6 / 8, 5 / 8, 4 / 8, 3 / 8, 2 / 8, 1 / 8]);
    expect(learningRate(0, 5, 0, 2e-5)).toBe(2e-5);
  });
});

describe("seeded permutation", () => {
  it("is a permutation, the same for the same seed, different for another", () => {
    const p = permutation(50, 7);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(permutation(50, 7)).toEqual(p);
    expect(permutation(50, 8)).not.toEqual(p);
  });
});

describe("windows", () => {
  const ex = (tokens: number[], target: boolean[]) => ({ tokens, target });

  it("one example per window: labels are the next token where it is a target, padding masked", () => {
    const { windows, stats } = buildWindows([ex([1, 10, 11, 12, 2], [false, false, true, true, true])], 8, 0, false);
    expect(stats).toEqual({ windows: 1, truncated: 0, dropped: 0 });
    expect(Array.from(windows[0].tokens)).toEqual([1, 10, 11, 12, 2, 0, 0, 0]);
    expect(Array.from(windows[0].labels)).toEqual([-1, 11, 12, 2, -1, -1, -1, -1]);
    expect(windows[0].nTargets).toBe(3);
  });

  it("truncates long examples, drops those without targets, and packs when asked", () => {
    const long = ex([1, 5, 6, 7, 8, 9, 10, 11, 12, 13], [false, true, true, true, true, true, true, true, true, true]);
    const promptOnly = ex([1, 5, 6], [false, false, false]);
    const short = ex([1, 20, 21], [false, false, true]);
    const one = buildWindows([long, promptOnly, short, short], 8, 0, false);
    expect(one.stats).toEqual({ windows: 3, truncated: 1, dropped: 1 });
    expect(one.windows[0].nTargets).toBe(7);
    const packed = buildWindows([short, short, short], 8, 0, true);
    expect(packed.stats.windows).toBe(2); // 3 + 3 fit in 8; the third starts a new window
    expect(Array.from(packed.windows[0].tokens)).toEqual([1, 20, 21, 1, 20, 21, 0, 0]);
    expect(Array.from(packed.windows[0].labels)).toEqual([-1, 21, -1, -1, 21, -1, -1, -1]);
  });
});
