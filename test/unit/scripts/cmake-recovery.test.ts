import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { clearConfigure, missingPackages, staleConfigure } from "../../../scripts/cmake-recovery.mjs";

const cmake = (args: string[], cwd: string) => spawnSync("cmake", args, { cwd, encoding: "utf8" });
const haveTools = cmake(["--version"], tmpdir()).status === 0 && spawnSync("ninja", ["--version"]).status === 0;
const scratch = mkdtempSync(join(tmpdir(), "iit-cmake-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!haveTools)("a build folder whose configure failed (real cmake + ninja)", () => {
  it("is found stale, names the missing packages, and builds after clearing its cache", () => {
    const src = join(scratch, "src");
    const build = join(scratch, "build");
    mkdirSync(src);
    mkdirSync(build);
    writeFileSync(join(src, "main.c"), "int main(void) { return 0; }\n");
    // A package no machine has: the configure fails as a missing SPIRV-Headers made it fail.
    const lists = (find: string) =>
      `cmake_minimum_required(VERSION 3.19)\nproject(scratch C)\n${find}\nadd_executable(app main.c)\n`;
    writeFileSync(join(src, "CMakeLists.txt"), lists("find_package(NoSuchPackageIit CONFIG REQUIRED)"));
    const failed = cmake(["-G", "Ninja", "-S", src, "-B", build], scratch);
    expect(failed.status).not.toBe(0);
    expect(existsSync(join(build, "CMakeCache.txt"))).toBe(true);
    expect(existsSync(join(build, "build.ninja"))).toBe(false);
    expect(staleConfigure(build)).toMatch(/no build\.ninja/);

    // The dependency is installed now: without recovery the rerun stops at ninja's missing file.
    writeFileSync(join(src, "CMakeLists.txt"), lists(""));
    const rerun = cmake(["--build", build], scratch);
    expect(rerun.status).not.toBe(0);
    expect(rerun.stdout + rerun.stderr).toMatch(/build\.ninja/);

    clearConfigure(build);
    expect(staleConfigure(build)).toBeNull(); // no cache: cmake-js configures
    expect(cmake(["-G", "Ninja", "-S", src, "-B", build], scratch).status).toBe(0);
    expect(staleConfigure(build)).toBeNull();
    expect(cmake(["--build", build], scratch).status).toBe(0);
    expect(existsSync(join(build, "app"))).toBe(true);
  });

  it("is found stale when copied from another checkout (its cache points at the other folder)", () => {
    const src = join(scratch, "copy-src");
    const build = join(scratch, "copy-build");
    mkdirSync(src);
    writeFileSync(join(src, "CMakeLists.txt"), "cmake_minimum_required(VERSION 3.19)\nproject(copied NONE)\n");
    expect(cmake(["-G", "Ninja", "-S", src, "-B", build], scratch).status).toBe(0);
    expect(staleConfigure(build)).toBeNull();
    const copy = join(scratch, "copy-of-build");
    cpSync(build, copy, { recursive: true });
    expect(staleConfigure(copy)).toBe(`${join(copy, "CMakeCache.txt")} was made in ${build}`);
    clearConfigure(copy);
    expect(cmake(["-G", "Ninja", "-S", src, "-B", copy], scratch).status).toBe(0);
    expect(staleConfigure(copy)).toBeNull();
  });

  // ggml-vulkan's two finds, each on its own (a REQUIRED find that fails ends the configure)
  it.each([
    ["find_package(Vulkan COMPONENTS glslc REQUIRED)", ["libvulkan-dev", "glslc"]],
    ["find_package(SPIRV-Headers CONFIG REQUIRED)", ["spirv-headers"]],
  ])("names the Debian packages when CMake fails at %s", (find, pkgs) => {
    const src = mkdtempSync(join(scratch, "vk-"));
    writeFileSync(join(src, "CMakeLists.txt"), `cmake_minimum_required(VERSION 3.19)\nproject(vk C)\n${find}\n`);
    const r = cmake(["-G", "Ninja", "-S", src, "-B", join(src, "build")], scratch);
    if (r.status === 0) return; // installed here (CI after .ci/run): nothing to name
    const named = missingPackages(r.stderr).map((m) => m.pkg);
    expect(named.length).toBeGreaterThan(0);
    for (const p of named) expect(pkgs).toContain(p);
  });
});

describe("missingPackages", () => {
  it("maps FindVulkan's missing parts, SPIR-V headers, CUDA and the toolchain to Debian packages", () => {
    // FindVulkan's message as CMake 3.25 prints it on a machine with neither libvulkan-dev nor glslc
    const vulkan =
      "CMake Error at /usr/share/cmake-3.25/Modules/FindPackageHandleStandardArgs.cmake:230 (message):\n" +
      "  Could NOT find Vulkan (missing: Vulkan_LIBRARY Vulkan_INCLUDE_DIR glslc)\n";
    expect(missingPackages(vulkan)).toEqual([
      { pkg: "libvulkan-dev", why: "Vulkan Vulkan_LIBRARY" },
      { pkg: "glslc", why: "Vulkan glslc" },
    ]);
    expect(
      missingPackages('  Could NOT find Vulkan (missing: glslc) (found version "1.3.239")').map((m) => m.pkg),
    ).toEqual(["glslc"]);
    expect(
      missingPackages('Could not find a package configuration file provided by "SPIRV-Headers" with any').map(
        (m) => m.pkg,
      ),
    ).toEqual(["spirv-headers"]);
    expect(missingPackages("No CMAKE_CUDA_COMPILER could be found.").map((m) => m.pkg)).toEqual([
      "nvidia-cuda-toolkit",
    ]);
    expect(
      missingPackages('CMake was unable to find a build program corresponding to "Ninja".').map((m) => m.pkg),
    ).toEqual(["ninja-build"]);
    expect(missingPackages("error: some compile error")).toEqual([]);
  });
});
