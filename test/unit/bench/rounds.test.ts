// The bench's spread over alternated rounds and the median's distribution-free 95% interval.
import { describe, expect, it } from "vitest";
import { formatSpread, medianIntervalRank, spread } from "../../../src/bench/rounds.js";

describe("the median's 95% interval over rounds", () => {
  it("takes the order statistics whose binomial coverage is at least 95%", () => {
    // n = 6: [1st, 6th] covers 1 - 2/64 = 0.969; n = 11: [2nd, 10th] covers 1 - 2·12/2048 = 0.988, while
    // [3rd, 9th] covers 1 - 2·67/2048 = 0.935 < 0.95.
    expect([3, 5, 6, 11, 41].map(medianIntervalRank)).toEqual([0, 0, 1, 2, 14]);
  });

  it("has none under 6 rounds, and the interval from 6 on", () => {
    expect(spread([3, 1, 2]).median_ci95).toBeUndefined();
    const xs = [0.9, 1.1, 0.95, 1.2, 0.8, 1.0, 1.05, 0.85, 0.99, 1.3, 0.7];
    expect(spread(xs)).toEqual({ min: 0.7, median: 0.99, max: 1.3, median_ci95: [0.8, 1.2] });
    expect(formatSpread(spread(xs))).toBe("0.700 / 0.990 / 1.300 (median 95% CI 0.800–1.200)");
  });

  it("can say a median is below 1: rounds all under 1 but one", () => {
    const xs = [0.9, 0.92, 0.88, 0.95, 0.91, 0.93, 0.89, 0.94, 0.9, 1.02, 0.87];
    const [, hi] = spread(xs).median_ci95 ?? [0, 0];
    expect(hi).toBeLessThan(1);
  });
});
