import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../../src/errors.js";
import { chooseThreads, DEFAULT_POLL, resolvePoll, WORK_PER_THREAD } from "../../../src/model/threads.js";

describe("chooseThreads", () => {
  it("a tiny model gets 1 thread for every operation, on any number of cores", () => {
    // stories260K (0.29 M parameters) and the lab's base (1.1 M): generation at --parallel 16,
    // scoring 512 tokens, a 256-token training window
    for (const nParams of [292_000, 1_130_000]) {
      for (const tokensPerDecode of [1, 16, 256, 512]) {
        expect(chooseThreads({ nParams, tokensPerDecode, cores: 64 })).toBe(1);
      }
    }
  });

  it("a large model gets every core, never more", () => {
    expect(chooseThreads({ nParams: 7e9, tokensPerDecode: 1, cores: 8 })).toBe(8);
    expect(chooseThreads({ nParams: 7e9, tokensPerDecode: 1, cores: 2 })).toBe(2);
  });

  it("threads grow with the work of one decode: one per WORK_PER_THREAD parameter-tokens", () => {
    expect(chooseThreads({ nParams: WORK_PER_THREAD, tokensPerDecode: 1, cores: 8 })).toBe(1);
    expect(chooseThreads({ nParams: WORK_PER_THREAD / 4, tokensPerDecode: 12, cores: 8 })).toBe(3);
  });

  it("an explicit count always wins, also for a tiny model", () => {
    expect(chooseThreads({ requested: 2, nParams: 292_000, tokensPerDecode: 1, cores: 2 })).toBe(2);
    expect(chooseThreads({ requested: 1, nParams: 7e9, tokensPerDecode: 64, cores: 8 })).toBe(1);
  });

  it("an explicit count above the cores or below 1 is a typed error naming the option", () => {
    expect(() => chooseThreads({ requested: 3, nParams: 1, tokensPerDecode: 1, cores: 2 })).toThrow(InvalidOptionError);
    expect(() => chooseThreads({ requested: 3, nParams: 1, tokensPerDecode: 1, cores: 2 })).toThrow(
      /threads = 3 exceeds the 2 cores/,
    );
    expect(() => chooseThreads({ requested: 0, nParams: 1, tokensPerDecode: 1, cores: 2 })).toThrow(
      /threads must be a positive integer/,
    );
  });
});

describe("resolvePoll", () => {
  it("defaults to a level that never busy-waits between graphs, and accepts 0..100", () => {
    expect(DEFAULT_POLL).toBe(0);
    expect(resolvePoll(undefined)).toBe(DEFAULT_POLL);
    expect(resolvePoll(100)).toBe(100);
  });

  it("rejects a level outside 0..100 with a typed error", () => {
    for (const bad of [-1, 101, 2.5, Number.NaN]) {
      expect(() => resolvePoll(bad)).toThrow(InvalidOptionError);
    }
    expect(() => resolvePoll(101)).toThrow(/poll must be an integer in 0\.\.100, got 101/);
  });
});
