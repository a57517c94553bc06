// The thread tuner that picks each decode's thread count (native/src/threading/thread-tuner.h), checked by
// native/tests/threading/test-thread-tuner.cpp on constructed decode times.
import { beforeAll, describe, expect, it } from "vitest";
import { buildNativeTarget, nativeTestsSkipReason, run, type RunResult } from "../../helpers/nativeTarget.js";

const skipReason = await nativeTestsSkipReason();
if (skipReason) console.warn(`thread tuner C++ test skipped: ${skipReason}`);

describe.skipIf(skipReason)("thread tuner: C++ test (native/tests/threading/test-thread-tuner.cpp)", () => {
  let built: { build: RunResult; exe: string } = { build: { code: null, output: "not built" }, exe: "" };

  beforeAll(async () => {
    built = await buildNativeTarget("test-thread-tuner");
  }, 20 * 60_000);

  it("builds the test-thread-tuner target", () => {
    expect(built.build.code, built.build.output).toBe(0);
  });

  it("moves to the faster count, stays on a busy machine, follows a change, ignores changing shapes", async () => {
    expect(built.build.code, "build failed (see the previous test)").toBe(0);
    const r = await run(built.exe, []);
    expect(r.code, r.output).toBe(0);
    expect(r.output, r.output).toMatch(/^27 checks, 0 failed$/m);
  });
});
