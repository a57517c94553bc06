// What build-native.mjs needs to survive a configure that failed: finding a build folder left without its
// generator file, and naming the Debian package behind CMake's "could not find" messages.
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * Why `buildDir` must be configured afresh, or null. cmake-js only configures when CMakeCache.txt is
 * missing, but a configure that failed (a missing package) leaves the cache without build.ninja or
 * Makefile, and every later `cmake --build` then stops at "ninja: error: loading 'build.ninja'"; and a
 * folder copied from another checkout has a cache (and build.ninja) pointing at the other tree, so
 * ninja would check, and build into, that tree's paths.
 */
export function staleConfigure(buildDir) {
  const cache = join(buildDir, "CMakeCache.txt");
  if (!existsSync(cache)) return null;
  const text = readFileSync(cache, "utf8");
  const made = /^CMAKE_CACHEFILE_DIR:INTERNAL=(.*)$/m.exec(text)?.[1];
  const real = (d) => (existsSync(d) ? realpathSync(d) : resolve(d));
  if (made !== undefined && real(made) !== real(buildDir)) return `${cache} was made in ${made}`;
  const generator = /^CMAKE_GENERATOR:INTERNAL=(.*)$/m.exec(text)?.[1] ?? "";
  const names = readdirSync(buildDir);
  const has = generator.startsWith("Ninja")
    ? names.includes("build.ninja")
    : generator.includes("Makefiles")
      ? names.includes("Makefile")
      : // Visual Studio, Xcode, or a generator we do not know: any project file counts
        names.some((n) => n === "build.ninja" || n === "Makefile" || n.endsWith(".sln") || n.endsWith(".xcodeproj"));
  if (has) return null;
  return `${join(buildDir, "CMakeCache.txt")} has no ${generator.startsWith("Ninja") ? "build.ninja" : generator.includes("Makefiles") ? "Makefile" : "project file"} beside it (an earlier configure failed)`;
}

/** Removes the cache a failed configure left, so the next build configures again; compiled objects stay. */
export function clearConfigure(buildDir) {
  rmSync(join(buildDir, "CMakeCache.txt"), { force: true });
}

// FindVulkan's "missing:" names -> Debian packages (Debian 12 names; Ubuntu's are the same).
const VULKAN_PARTS = {
  Vulkan_LIBRARY: "libvulkan-dev",
  Vulkan_INCLUDE_DIR: "libvulkan-dev",
  glslc: "glslc",
  glslangValidator: "glslang-tools",
};

/** The Debian packages CMake's output says are missing, each with what pointed to it; [] when none is recognised. */
export function missingPackages(output) {
  const found = new Map();
  const add = (pkg, why) => {
    if (!found.has(pkg)) found.set(pkg, why);
  };
  for (const m of output.matchAll(/Could NOT find Vulkan \(missing:([^)]*)\)/g)) {
    for (const part of m[1].trim().split(/\s+/)) if (VULKAN_PARTS[part]) add(VULKAN_PARTS[part], `Vulkan ${part}`);
  }
  if (/"SPIRV-Headers"|SPIRV-HeadersConfig\.cmake|spirv-headers-config\.cmake/.test(output))
    add("spirv-headers", "SPIRV-Headers");
  if (/No CMAKE_CUDA_COMPILER could be found|Could NOT find CUDAToolkit|CUDA Toolkit not found/.test(output)) {
    add("nvidia-cuda-toolkit", "the CUDA compiler nvcc");
  }
  if (/No CMAKE_CXX_COMPILER could be found/.test(output)) add("g++", "a C++ compiler");
  if (/No CMAKE_C_COMPILER could be found/.test(output)) add("gcc", "a C compiler");
  if (/unable to find a build program corresponding to "Ninja"/.test(output)) add("ninja-build", "Ninja");
  if (/unable to find a build program corresponding to "Unix Makefiles"/.test(output)) add("make", "make");
  if (/Could NOT find Git/.test(output)) add("git", "git");
  return [...found].map(([pkg, why]) => ({ pkg, why }));
}
