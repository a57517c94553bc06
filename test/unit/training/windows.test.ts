import { describe, expect, it } from "vitest";
import { buildWindows, fillWindow, type Window } from "../../../src/training/examples.js";
import { learningRate } from "../../../src/training/schedule.js";
import { permutation } from "../../../src/util/random.js";

describe("learning-rate schedule", () => {
  it("warms up linearly, then decays linearly, and never reaches 0 (ggml's AdamW rejects it)", () => {
    const lrs = Array.from({ length: 10 }, (_, s) => learningRate(s, 10, 2, 1));
    expect(lrs).toEqual([0.5, 1, 1, 7 / 8, 6 / 8, 5 / 8, 4 / 8, 3 / 8, 2 / 8, 1 / 8]);
    expect(learningRate(0, 5, 0, 2e-5)).toBe(2e-5);
  });

  it("holds the peak after warmup when constant, so the first k epochs of a run do not depend on its length", () => {
    expect(Array.from({ length: 6 }, (_, s) => learningRate(s, 6, 2, 1, "constant"))).toEqual([0.5, 1, 1, 1, 1, 1]);
    const first = (total: number) => Array.from({ length: 4 }, (_, s) => learningRate(s, total, 0, 1, "constant"));
    expect(first(4)).toEqual(first(20));
    expect(Array.from({ length: 4 }, (_, s) => learningRate(s, 4, 0, 1))).not.toEqual(
      Array.from({ length: 4 }, (_, s) => learningRate(s, 20, 0, 1)),
    );
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
  const ex = (tokens: number[], target: boolean[]) => ({
    tokens: Int32Array.from(tokens),
    target: Uint8Array.from(target, Number),
  });
  const filled = (w: Window, nCtx: number) => {
    const tokens = new Int32Array(nCtx);
    const labels = new Int32Array(nCtx);
    fillWindow(w, 0, tokens, labels);
    return { tokens: Array.from(tokens), labels: Array.from(labels) };
  };

  it("one example per window: labels are the next token where it is a target, padding masked", () => {
    const { windows, stats } = buildWindows([ex([1, 10, 11, 12, 2], [false, false, true, true, true])], 8, false);
    expect(stats).toEqual({ windows: 1, truncated: 0, dropped: 0 });
    expect(filled(windows[0], 8)).toEqual({
      tokens: [1, 10, 11, 12, 2, 0, 0, 0],
      labels: [-1, 11, 12, 2, -1, -1, -1, -1],
    });
    expect(windows[0].nTargets).toBe(3);
  });

  it("truncates long examples, drops those without targets, and packs when asked", () => {
    const long = ex([1, 5, 6, 7, 8, 9, 10, 11, 12, 13], [false, true, true, true, true, true, true, true, true, true]);
    const promptOnly = ex([1, 5, 6], [false, false, false]);
    const short = ex([1, 20, 21], [false, false, true]);
    const one = buildWindows([long, promptOnly, short, short], 8, false);
    expect(one.stats).toEqual({ windows: 3, truncated: 1, dropped: 1 });
    expect(one.windows[0].nTargets).toBe(7);
    const packed = buildWindows([short, short, short], 8, true);
    expect(packed.stats.windows).toBe(2); // 3 + 3 fit in 8; the third starts a new window
    expect(filled(packed.windows[0], 8)).toEqual({
      tokens: [1, 20, 21, 1, 20, 21, 0, 0],
      labels: [-1, 21, -1, -1, 21, -1, -1, -1],
    });
    expect(filled(one.windows[0], 8).tokens).toEqual([1, 5, 6, 7, 8, 9, 10, 11]);
  });

  it("keeps only the examples' tokens (5 bytes each), never a window's nCtx-long arrays", () => {
    const short = ex([1, 20, 21, 22, 2], [false, true, true, true, true]);
    const { windows } = buildWindows(
      Array.from({ length: 100 }, () => short),
      2048,
      false,
    );
    expect(windows).toHaveLength(100);
    const held = windows.flatMap((w) => w.parts).reduce((n, p) => n + p.tokens.byteLength + p.target.byteLength, 0);
    expect(held).toBe(100 * 5 * 5);
  });

  it("packed without a BOS (add_bos false, LM mode): an example's first token is predicted from the one before", () => {
    const noBos = ex([7, 8, 2], [true, true, true]);
    const { windows } = buildWindows([noBos, noBos], 8, true);
    expect(windows[0].nTargets).toBe(5);
    expect(filled(windows[0], 8).labels).toEqual([8, 2, 7, 8, 2, -1, -1, -1]);
  });
});
