// The CPU mul_mat with a permuted F32 src1 (training's KQ product; native/patches/
// 0005-mul-mat-strided-src1.diff), checked by native/tests/training/test-mul-mat-strided.cpp: the same bits as
// the product on a contiguous copy (tinyBLAS), and a double reference.
import { beforeAll, describe, expect, it } from "vitest";
import { buildNativeTarget, nativeTestsSkipReason, run, type RunResult } from "../../helpers/nativeTarget.js";

const skipReason = await nativeTestsSkipReason();
if (skipReason) console.warn(`mul_mat C++ test skipped: ${skipReason}`);

describe.skipIf(skipReason)("mul_mat, strided src1: C++ test (native/tests/training/test-mul-mat-strided.cpp)", () => {
  let built: { build: RunResult; exe: string } = { build: { code: null, output: "not built" }, exe: "" };

  beforeAll(async () => {
    built = await buildNativeTarget("test-mul-mat-strided");
  }, 20 * 60_000);

  it("builds the test-mul-mat-strided target", () => {
    expect(built.build.code, built.build.output).toBe(0);
  });

  it("gives the contiguous product's bits and matches the double reference, with 1 and 2 threads", async () => {
    expect(built.build.code, "build failed (see the previous test)").toBe(0);
    const r = await run(built.exe, []);
    expect(r.code, r.output).toBe(0);
    expect(r.output, r.output).toMatch(/^8 checks, 0 failed$/m);
  });
});
