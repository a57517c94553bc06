// Builds and runs the C++ tests of the rule adapter (native/tests/sampling/test-rules-sampler.cpp): synthetic
// logits for every rule, plus token resolution on llama.cpp's Llama-2 (SPM) and Llama-3 (BPE) vocab GGUFs.
import { beforeAll, describe, expect, it } from "vitest";
import { vocabDir } from "../../helpers/fixtures.js";
import { buildNativeTarget, nativeTestsSkipReason, run, type RunResult } from "../../helpers/nativeTarget.js";

const skipReason = await nativeTestsSkipReason();
if (skipReason) console.warn(`rules sampler C++ tests skipped: ${skipReason}`);

describe.skipIf(skipReason)("rules sampler: C++ tests (native/tests/sampling/test-rules-sampler.cpp)", () => {
  let build: RunResult = { code: null, output: "not built" };
  let exe = "";

  beforeAll(async () => {
    ({ build, exe } = await buildNativeTarget("test-rules-sampler"));
  }, 20 * 60_000);

  it("builds the test-rules-sampler target", () => {
    expect(build.code, build.output).toBe(0);
  });

  it("passes every check, including the SPM and BPE vocabularies", async () => {
    expect(build.code, "build failed (see the previous test)").toBe(0);
    const r = await run(exe, [vocabDir]);
    expect(r.code, r.output).toBe(0);
    expect(r.output, r.output).toMatch(/^\d+ checks, 0 failed$/m);
    // the vocab files ship with the llama.cpp source: they must have been checked, not skipped
    expect(r.output, r.output).toContain("spm: 29966 529 29989 306 29902 1334 5618 881 334 448 1678 396 444 13 29991");
    expect(r.output, r.output).toMatch(/^bpe: /m);
  });
});
