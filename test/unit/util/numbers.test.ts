// The one range check of numbers that reach native code (issue 25, item 9): 32-bit integers, finite 32-bit floats.
import { describe, expect, it } from "vitest";
import { intOption, floatOption } from "../../../src/cli/util.js";
import { checkFloat32, checkInt, INT32_MAX, UINT32_MAX } from "../../../src/util/numbers.js";

describe("checkInt / checkFloat32", () => {
  it("accepts the 32-bit range and refuses one past it, naming the input", () => {
    expect(checkInt(INT32_MAX, "n")).toBe(INT32_MAX);
    expect(checkInt(-(2 ** 31), "n")).toBe(-(2 ** 31));
    for (const v of [2 ** 31, 2 ** 32 + 1, -(2 ** 31) - 1, 1.5, NaN]) {
      expect(() => checkInt(v, "--top-k")).toThrow(
        expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringContaining("--top-k") }),
      );
    }
    expect(checkInt(UINT32_MAX, "seed", { min: 0, max: UINT32_MAX })).toBe(UINT32_MAX);
    expect(() => checkInt(0, "--tokens", { min: 1 })).toThrow(
      /--tokens must be an integer in \[1, 2147483647\], got 0/,
    );
  });

  it("refuses floats that would become infinite as 32-bit floats", () => {
    expect(checkFloat32(3.4e38, "x")).toBe(3.4e38);
    for (const v of [1e39, -1e39, Infinity, NaN])
      expect(() => checkFloat32(v, "--b-std")).toThrow(/--b-std must be a finite number within ±3.4e38/);
    expect(() => checkFloat32(-1, "--b-std", { min: 0 })).toThrow(/--b-std must be a number in \[0, 3.4e38\], got -1/);
  });

  it("CLI options parse with the same checks", () => {
    expect(intOption("--top-k", { min: 0 })("40")).toBe(40);
    expect(() => intOption("--top-k", { min: 0 })("4294967297")).toThrow(/--top-k must be an integer/);
    expect(() => intOption("--n")("")).toThrow(/expects an integer/);
    expect(() => floatOption("--lr")("1e39")).toThrow(/--lr must be a finite number/);
    expect(floatOption("--lr")("1e-5")).toBe(1e-5);
  });
});
