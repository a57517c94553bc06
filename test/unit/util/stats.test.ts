// Statistics helpers: the bootstrap is deterministic and covers what it should, McNemar is exact,
// and directed rounding never flatters a bound.
import { describe, expect, it } from "vitest";
import { bootstrap, ceilTo, floorTo, mcnemarExact, mean, quantile, ratio, sampleStd } from "../../../src/util/stats.js";

describe("stats", () => {
  it("mean and sample std as pandas", () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(mean([])).toBeNull();
    expect(sampleStd([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(sampleStd([1])).toBeNull();
  });

  it("quantiles interpolate between order statistics (numpy's linear)", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([0, 10], 0.025)).toBeCloseTo(0.25, 12);
    expect(quantile([5], 0.975)).toBe(5);
  });

  it("McNemar's exact test: binomial tails, two-sided", () => {
    expect(mcnemarExact(0, 5)).toBeCloseTo(2 / 32, 12);
    expect(mcnemarExact(9, 1)).toBeCloseTo(22 / 1024, 12);
    expect(mcnemarExact(2, 2)).toBe(1);
    expect(mcnemarExact(0, 0)).toBe(1);
    expect(mcnemarExact(2, 0)).toBe(0.5);
    expect(mcnemarExact(0, 174)).toBeLessThan(1e-50);
  });

  it("bootstraps an interval that is deterministic for a seed and brackets the estimate", () => {
    const a = [Array.from({ length: 200 }, (_, i) => (i % 2 ? 1 : 0))];
    const x = bootstrap([a], (m) => m[0], { seed: 7 });
    expect(bootstrap([a], (m) => m[0], { seed: 7 })).toEqual(x);
    expect(bootstrap([a], (m) => m[0], { seed: 8 })).not.toEqual(x);
    expect(x.estimate).toBe(0.5);
    expect(x.lo).toBeGreaterThan(0.42);
    expect(x.lo).toBeLessThan(0.47);
    expect(x.hi).toBeGreaterThan(0.53);
    // Paired by prompt: the difference of a sample with itself has a zero-width interval.
    const d = bootstrap([a, a], (m) => m[0] - m[1]);
    expect([d.lo, d.hi]).toEqual([0, 0]);
    // Seeds resampled too: two seeds that disagree widen the interval.
    const seeds = bootstrap([[a[0], a[0].map((v) => 1 - v)]], (m) => m[0]);
    expect(seeds.estimate).toBe(0.5);
    expect(() => bootstrap([a, [[1, 0]]], (m) => m[0])).toThrow(RangeError);
  });

  it("ratio: nothing over nothing is 0, something over nothing is ∞", () => {
    expect(ratio(1, 2)).toBe(0.5);
    expect(ratio(0, 0)).toBe(0);
    expect(ratio(0.1, 0)).toBe(Infinity);
  });

  it("rounds lower bounds down and upper bounds up", () => {
    expect(floorTo(0.6996, 2)).toBe(0.69);
    expect(floorTo(0.29, 2)).toBe(0.29);
    expect(floorTo(0.7, 2)).toBe(0.7);
    expect(ceilTo(0.0491, 3)).toBe(0.05);
    expect(ceilTo(0.049, 3)).toBe(0.049);
    expect(floorTo(Infinity, 2)).toBe(Infinity);
    expect(ceilTo(1e-60, 3)).toBe(0.001);
    expect(ceilTo(0, 3)).toBe(0);
  });
});
