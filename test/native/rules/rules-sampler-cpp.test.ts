// Builds and runs the C++ tests of the rule adapter (native/tests/sampling/test-rules-sampler.cpp): synthetic
// logits for every rule, plus token resolution on llama.cpp's Llama-2 (SPM) and Llama-3 (BPE) vocab GGUFs.
// The build directory lives under the OS temp dir and is reused between runs (the first build
// compiles llama.cpp: a minute or two).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot, vocabDir } from "../../helpers/fixtures.js";

const llamaSrc = join(repoRoot, "native", "llama.cpp");
const buildDir = join(tmpdir(), "iit-rules-sampler-build");
const exe = join(buildDir, process.platform === "win32" ? "test-rules-sampler.exe" : "test-rules-sampler");

interface RunResult {
  code: number | null;
  output: string;
}

function run(cmd: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    let output = `$ ${cmd} ${args.join(" ")}\n`;
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", (err) => resolve({ code: null, output: `${output}${err.message}\n` }));
    child.on("close", (code) => resolve({ code, output }));
  });
}

function hasCmake(): Promise<boolean> {
  return run("cmake", ["--version"]).then((r) => r.code === 0);
}

const skipReason = !existsSync(join(llamaSrc, "CMakeLists.txt"))
  ? `llama.cpp source not found at ${llamaSrc} (npm run build:native prepares it)`
  : !(await hasCmake())
    ? "cmake not found on PATH"
    : false;
if (skipReason) console.warn(`rules sampler C++ tests skipped: ${skipReason}`);

async function configure(): Promise<RunResult> {
  mkdirSync(buildDir, { recursive: true });
  return run("cmake", [
    "-S", repoRoot,
    "-B", buildDir,
    `-DIIT_LLAMA_SRC=${llamaSrc}`,
    "-DCMAKE_BUILD_TYPE=Release",
    // the addon target needs cmake-js; only test-rules-sampler is built here
    `-DCMAKE_JS_INC=${tmpdir()}`,
    "-DCMAKE_JS_SRC=",
    "-DCMAKE_JS_LIB=",
  ]);
}

describe.skipIf(skipReason)("rules sampler: C++ tests (native/tests/sampling/test-rules-sampler.cpp)", () => {
  let build: RunResult = { code: null, output: "not built" };

  beforeAll(async () => {
    let conf = await configure();
    if (conf.code !== 0 && existsSync(join(buildDir, "CMakeCache.txt"))) {
      // a stale cache (e.g. another checkout used the same directory): start over once
      rmSync(buildDir, { recursive: true, force: true });
      conf = await configure();
    }
    build = conf.code !== 0
      ? conf
      : await run("cmake", ["--build", buildDir, "--target", "test-rules-sampler", "-j", String(availableParallelism())]);
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
