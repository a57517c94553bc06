// Builds one C++ test target of CMakeLists.txt (native/tests/*) against the prepared, patched llama.cpp
// source, in a build directory under the OS temp dir that is reused between runs (the first build
// compiles ggml: a few minutes on 2 cores).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./fixtures.js";

export const llamaSrc = join(repoRoot, "native", "llama.cpp");
const buildDir = join(tmpdir(), "iit-native-tests-build");

export interface RunResult {
  code: number | null;
  output: string;
}

export function run(cmd: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    let output = `$ ${cmd} ${args.join(" ")}\n`;
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", (err) => resolve({ code: null, output: `${output}${err.message}\n` }));
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** Why the C++ tests cannot run here, or false. */
export async function nativeTestsSkipReason(): Promise<string | false> {
  if (!existsSync(join(llamaSrc, "CMakeLists.txt")))
    return `llama.cpp source not found at ${llamaSrc} (npm run build:native prepares it)`;
  if ((await run("cmake", ["--version"])).code !== 0) return "cmake not found on PATH";
  return false;
}

function configure(): Promise<RunResult> {
  mkdirSync(buildDir, { recursive: true });
  return run("cmake", [
    "-S",
    repoRoot,
    "-B",
    buildDir,
    `-DIIT_LLAMA_SRC=${llamaSrc}`,
    "-DCMAKE_BUILD_TYPE=Release",
    // the addon target needs cmake-js; only test targets are built here
    `-DCMAKE_JS_INC=${tmpdir()}`,
    "-DCMAKE_JS_SRC=",
    "-DCMAKE_JS_LIB=",
  ]);
}

/** Configures (once) and builds `target`; returns the build result and the executable's path. */
export async function buildNativeTarget(target: string): Promise<{ build: RunResult; exe: string }> {
  let conf = await configure();
  if (conf.code !== 0 && existsSync(join(buildDir, "CMakeCache.txt"))) {
    // a stale cache (e.g. another checkout used the same directory): start over once
    rmSync(buildDir, { recursive: true, force: true });
    conf = await configure();
  }
  const build =
    conf.code !== 0
      ? conf
      : await run("cmake", ["--build", buildDir, "--target", target, "-j", String(availableParallelism())]);
  return { build, exe: join(buildDir, process.platform === "win32" ? `${target}.exe` : target) };
}
