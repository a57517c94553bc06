// The CPU out_prod kernel that computes every mul_mat gradient in training (native/patches/
// 0002-out-prod-tiled.diff), checked by native/tests/training/test-out-prod.cpp against a double reference on
// the shapes training produces.
import { beforeAll, describe, expect, it } from "vitest";
import { buildNativeTarget, nativeTestsSkipReason, run, type RunResult } from "../../helpers/nativeTarget.js";

const skipReason = await nativeTestsSkipReason();
if (skipReason) console.warn(`out_prod C++ test skipped: ${skipReason}`);

describe.skipIf(skipReason)("out_prod: C++ test (native/tests/training/test-out-prod.cpp)", () => {
  let built: { build: RunResult; exe: string } = { build: { code: null, output: "not built" }, exe: "" };

  beforeAll(async () => {
    built = await buildNativeTarget("test-out-prod");
  }, 20 * 60_000);

  it("builds the test-out-prod target", () => {
    expect(built.build.code, built.build.output).toBe(0);
  });

  it("matches the double-precision reference on every shape, with 1 and 2 threads", async () => {
    expect(built.build.code, "build failed (see the previous test)").toBe(0);
    const r = await run(built.exe, []);
    expect(r.code, r.output).toBe(0);
    expect(r.output, r.output).toMatch(/^22 checks, 0 failed$/m);
  });
});
