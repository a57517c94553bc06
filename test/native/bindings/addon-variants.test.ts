// The loader picks the addon build by option or IIT_GPU, and says how to build one that is missing.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadAddon, resolveGpuBackend, variantDir } from "../../../src/bindings/loadAddon.js";
import { cliPath, repoRoot, skipNoAddon } from "../../helpers/fixtures.js";

describe.skipIf(skipNoAddon)("addon variants", () => {
  it("each variant has its own folder: build/ for cpu, build-<gpu>/ else", () => {
    expect(variantDir("cpu")).toBe(join(repoRoot, "build"));
    expect(variantDir("vulkan")).toBe(join(repoRoot, "build-vulkan"));
  });

  it("a variant that is not built is a typed error naming the command that builds it", () => {
    expect(existsSync(join(repoRoot, "build-cuda"))).toBe(false);
    expect(() => loadAddon("cuda")).toThrow(
      expect.objectContaining({
        name: "NativeBindingLoadError",
        code: "NATIVE_VARIANT_NOT_BUILT",
        suggestion: expect.stringContaining("`IIT_GPU=cuda npm run build:native`"),
      }),
    );
  });

  it("IIT_GPU picks the variant; an unknown one is an option error", () => {
    const env = process.env.IIT_GPU;
    try {
      process.env.IIT_GPU = "Vulkan";
      expect(resolveGpuBackend()).toBe("vulkan");
      process.env.IIT_GPU = "rocm";
      expect(() => resolveGpuBackend()).toThrow(
        expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringContaining("IIT_GPU") }),
      );
    } finally {
      if (env === undefined) delete process.env.IIT_GPU;
      else process.env.IIT_GPU = env;
    }
  });

  it("one variant per process: asking for another after the first loaded is a typed error", () => {
    expect(loadAddon("cpu").systemInfo().backends).toContain("CPU");
    expect(() => loadAddon("vulkan")).toThrow(expect.objectContaining({ code: "NATIVE_VARIANT_CONFLICT" }));
    expect(loadAddon()).toBe(loadAddon("cpu"));
  });

  it("the CLI with IIT_GPU set to a missing variant exits with the build command, not a stack trace", () => {
    const r = spawnSync(process.execPath, [cliPath, "inspect", "--system"], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { ...process.env, IIT_GPU: "cuda" },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("IIT_GPU=cuda npm run build:native");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
