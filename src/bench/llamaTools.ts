// llama.cpp's own tools (llama-finetune, llama-bench, llama-batched-bench, llama-perplexity, test-backend-ops, llama-server) as benchmark peers, built once
// from a pristine clone of the pinned llama.cpp (the same commit as our addon, without our patches).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../util/packageRoot.js";
import { IitError } from "../errors.js";

export type LlamaTool =
  | "llama-finetune"
  | "llama-bench"
  | "llama-batched-bench"
  | "llama-perplexity"
  | "test-backend-ops"
  | "llama-server";

function git(args: string[]): string {
  const r = spawnSync("git", args, { encoding: "utf8" });
  if (r.status !== 0) throw new IitError("BENCH_FAILED", `git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The tool's binary, built on first use (≈4 min per tool on 2 cores) into the temp dir. */
export function ensureLlamaTool(tool: LlamaTool, status: (m: string) => void): string {
  const src = join(packageRoot, "native", "llama.cpp");
  const commit = git(["-C", src, "rev-parse", "HEAD"]);
  const dir = join(tmpdir(), `iit-llama-tools-${commit.slice(0, 8)}`);
  const bin = join(dir, "build", "bin", tool);
  if (existsSync(bin)) return bin;
  status(`building ${tool} at ${commit.slice(0, 8)} into ${dir} (once)`);
  if (!existsSync(join(dir, "src"))) git(["clone", "-q", src, join(dir, "src")]);
  const run = (args: string[]) => {
    const r = spawnSync("cmake", args, { stdio: ["ignore", "ignore", "inherit"] });
    if (r.status !== 0) throw new IitError("BENCH_FAILED", `cmake ${args.join(" ")} failed`);
  };
  if (!existsSync(join(dir, "build", "CMakeCache.txt"))) {
    run([
      "-S",
      join(dir, "src"),
      "-B",
      join(dir, "build"),
      "-DCMAKE_BUILD_TYPE=Release",
      "-DLLAMA_BUILD_EXAMPLES=ON",
      "-DLLAMA_BUILD_COMMON=ON",
      "-DLLAMA_BUILD_TOOLS=ON",
      "-DLLAMA_BUILD_TESTS=ON", // test-backend-ops: the matrix-product peak of `bench train`
      "-DLLAMA_BUILD_SERVER=ON",
      "-DLLAMA_CURL=OFF",
      "-DGGML_OPENMP=OFF",
      "-DBUILD_SHARED_LIBS=OFF",
    ]);
  }
  run(["--build", join(dir, "build"), "--target", tool, "-j", "2"]);
  return bin;
}

/** Where ensureLlamaTool builds the tool for the pinned commit (tests skip when it is not there yet). */
export function llamaToolPath(tool: LlamaTool): string {
  const commit = git(["-C", join(packageRoot, "native", "llama.cpp"), "rev-parse", "HEAD"]);
  return join(tmpdir(), `iit-llama-tools-${commit.slice(0, 8)}`, "build", "bin", tool);
}
