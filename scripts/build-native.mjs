#!/usr/bin/env node
// Builds native/ into build/Release/iit.node (CPU) or build-<backend>/Release/iit.node (IIT_GPU=vulkan|cuda|metal):
// each variant has its own folder and stamp, so building one never invalidates another.
// 1. llama.cpp source: cloned from the bundle that the exact-pinned node-llama-cpp ships
//    (offline, and headers/library/patches all from one commit).
// 2. native/patches/*.diff applied in name order onto a pristine tree (idempotent: the tree is
//    reset whenever the patch set changes).
// 3. cmake-js build; skipped when sources, patches and flags are unchanged since the last build.
// Backend switch: IIT_GPU=cpu (default) | cuda | metal | vulkan. Extra CMake flags: IIT_CMAKE_ARGS="-DX=Y ...".
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { clearConfigure, missingPackages, staleConfigure } from "./cmake-recovery.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const srcDir = join(root, "native", "llama.cpp");

const BACKENDS = { cpu: [], cuda: ["-DGGML_CUDA=ON"], metal: ["-DGGML_METAL=ON"], vulkan: ["-DGGML_VULKAN=ON"] };
const backend = (process.env.IIT_GPU || "cpu").toLowerCase();
if (!(backend in BACKENDS)) {
  console.error(
    `[iit] IIT_GPU=${process.env.IIT_GPU} is not a backend; use one of ${Object.keys(BACKENDS).join(", ")}`,
  );
  process.exit(1);
}
// Same folder rule as variantDir() in src/bindings/loadAddon.ts.
const buildDir = join(root, backend === "cpu" ? "build" : `build-${backend}`);
const addonPath = join(buildDir, "Release", "iit.node");
const stampPath = join(buildDir, "Release", "iit.stamp");
const cmakeFlags = [...BACKENDS[backend], ...(process.env.IIT_CMAKE_ARGS || "").split(/\s+/).filter(Boolean)];

const log = (msg) => console.error(`[iit] ${msg}`);
const git = (args, opts = {}) =>
  execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], ...opts }).trim();

function listFiles(dir, keep) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === "llama.cpp") continue; // the prepared source is tracked by its commit + patch hash
    if (statSync(p).isDirectory()) out.push(...listFiles(p, keep));
    else if (keep(name)) out.push(p);
  }
  return out;
}

// The directory of an installed package (its exports may hide package.json).
function packageDir(name) {
  for (let d = dirname(require.resolve(name)); d !== dirname(d); d = dirname(d)) {
    const pj = join(d, "package.json");
    if (existsSync(pj) && JSON.parse(readFileSync(pj, "utf8")).name === name) return d;
  }
  throw new Error(`cannot locate the installed package ${name}`);
}

const bundle = join(packageDir("node-llama-cpp"), "llama", "gitRelease.bundle");
if (!existsSync(bundle)) {
  log(`llama.cpp source bundle not found at ${bundle}; reinstall node-llama-cpp (npm ci).`);
  process.exit(1);
}
const bundleHead = git(["bundle", "list-heads", bundle]).split("\n")[0].split(" ")[0];
const patchDir = join(root, "native", "patches");
const patches = existsSync(patchDir)
  ? readdirSync(patchDir)
      .filter((f) => f.endsWith(".diff"))
      .sort()
  : [];
const patchHash = createHash("sha256");
for (const p of patches) patchHash.update(p).update(readFileSync(join(root, "native", "patches", p)));
const patchId = `${bundleHead} ${patchHash.digest("hex")}`;

const stamp = createHash("sha256");
stamp.update(patchId).update(JSON.stringify(cmakeFlags)).update(process.version.split(".")[0]);
for (const f of [
  join(root, "CMakeLists.txt"),
  ...listFiles(join(root, "native"), (n) => /\.(c|cc|cpp|h|hpp|txt|cmake)$/.test(n)),
]) {
  stamp.update(relative(root, f)).update(readFileSync(f));
}
stamp.update(readFileSync(fileURLToPath(import.meta.url)));
const stampValue = stamp.digest("hex");

if (existsSync(addonPath) && existsSync(stampPath) && readFileSync(stampPath, "utf8") === stampValue) {
  log(`native addon is up to date (${relative(root, addonPath)})`);
  process.exit(0);
}

// 1 + 2: pristine source at the bundle's commit, then our patches.
const patchMark = join(srcDir, ".iit-patches");
const haveSource = existsSync(join(srcDir, ".git")) && git(["-C", srcDir, "rev-parse", "HEAD"]) === bundleHead;
if (!haveSource) {
  log(`preparing llama.cpp ${bundleHead.slice(0, 8)} from ${relative(root, bundle)}`);
  rmSync(srcDir, { recursive: true, force: true });
  git(["-c", "advice.detachedHead=false", "clone", "--quiet", bundle, srcDir]);
}
if (!existsSync(patchMark) || readFileSync(patchMark, "utf8") !== patchId) {
  // Files the old patch set touched and the new one leaves byte-identical get their old mtime back, so
  // adding a patch does not make every build variant recompile what it did not change (llama.h!).
  const touched = new Map();
  for (const f of git(["-C", srcDir, "diff", "--name-only"]).split("\n").filter(Boolean)) {
    const p = join(srcDir, f);
    if (existsSync(p)) touched.set(p, { data: readFileSync(p), mtime: statSync(p).mtime });
  }
  git(["-C", srcDir, "checkout", "--quiet", "--", "."]);
  git(["-C", srcDir, "clean", "-fdq", "-e", ".iit-patches"]);
  for (const p of patches) {
    log(`applying native/patches/${p}`);
    git(["-C", srcDir, "apply", "--whitespace=nowarn", join(root, "native", "patches", p)]);
  }
  for (const [p, old] of touched) {
    if (existsSync(p) && readFileSync(p).equals(old.data)) utimesSync(p, old.mtime, old.mtime);
  }
  writeFileSync(patchMark, patchId);
}

// 3: cmake-js build.
mkdirSync(buildDir, { recursive: true });
const stale = staleConfigure(buildDir);
if (stale) {
  log(`${relative(root, buildDir)}: ${stale.replace(root + "/", "")}; configuring again`);
  clearConfigure(buildDir);
}
const jobs = String(availableParallelism());
log(`building native addon (backend ${backend}, ${jobs} jobs); the first build takes a few minutes`);
const cmakeJs = join(packageDir("cmake-js"), "bin", "cmake-js");
const args = [
  cmakeJs,
  "build",
  "-d",
  root,
  "-O",
  buildDir,
  "-p",
  jobs,
  "-l",
  "warn",
  `--CDIIT_LLAMA_SRC=${srcDir}`,
  "--CDCMAKE_BUILD_TYPE=Release",
  ...cmakeFlags.map((f) => `--CD${f.replace(/^-D/, "")}`),
];
// stderr is shown as it comes and kept, to name the package behind a "could not find" of CMake's.
const { code, stderr } = await new Promise((resolve, reject) => {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "inherit", "pipe"], cwd: root });
  let stderr = "";
  child.stderr.on("data", (d) => {
    process.stderr.write(d);
    stderr += d;
  });
  child.on("error", reject);
  child.on("close", (code) => resolve({ code, stderr }));
});
if (code !== 0) {
  const missing = missingPackages(stderr);
  if (missing.length) {
    log(`the ${backend} build needs ${missing.map((m) => `${m.why} (Debian/Ubuntu: ${m.pkg})`).join(", ")}`);
    log(`install with: sudo apt-get install ${missing.map((m) => m.pkg).join(" ")}; then rerun npm run build:native`);
  } else {
    log(`the native build failed (cmake-js exited with ${code}); see CMake's messages above`);
  }
  process.exit(1);
}
writeFileSync(stampPath, stampValue);
log(`built ${relative(root, addonPath)}`);
