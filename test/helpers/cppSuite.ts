// One vitest suite for a C++ test target of CMakeLists.txt (native/tests/*): build it (skipped with a
// reason when the llama.cpp source or cmake is missing), run it, and expect "N checks, 0 failed".
import { beforeAll, describe, expect, it } from "vitest";
import { buildNativeTarget, nativeTestsSkipReason, run, type RunResult } from "./nativeTarget.js";

const skipReason = await nativeTestsSkipReason();

export interface CppSuite {
  /** What is tested, e.g. "thread tuner". */
  name: string;
  /** The CMake target, e.g. "test-thread-tuner". */
  target: string;
  /** Its source, for the suite's title. */
  source: string;
  /** What the run checks (the second test's title). */
  checks: string;
  /** How many checks it must print; omitted: any number. */
  count?: number;
  args?: string[];
  /** More expectations on the run's output. */
  more?: (output: string) => void;
}

export function describeCppSuite(s: CppSuite): void {
  if (skipReason) console.warn(`${s.name} C++ test skipped: ${skipReason}`);
  describe.skipIf(skipReason)(`${s.name}: C++ test (${s.source})`, () => {
    let built: { build: RunResult; exe: string } = { build: { code: null, output: "not built" }, exe: "" };

    beforeAll(async () => {
      built = await buildNativeTarget(s.target);
    }, 20 * 60_000);

    it(`builds the ${s.target} target`, () => {
      expect(built.build.code, built.build.output).toBe(0);
    });

    it(s.checks, async () => {
      expect(built.build.code, "build failed (see the previous test)").toBe(0);
      const r = await run(built.exe, s.args ?? []);
      expect(r.code, r.output).toBe(0);
      expect(r.output, r.output).toMatch(new RegExp(`^${s.count ?? "\\d+"} checks, 0 failed$`, "m"));
      s.more?.(r.output);
    });
  });
}
