import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { cliPath, skipNoModel, storiesModel } from "../../helpers/fixtures.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");

describe.skipIf(skip)("iit bench judge", () => {
  it("--json reports local and HTTP judgements/s and a cached re-run with zero calls", () => {
    const r = iit(["bench", "judge", "-m", storiesModel, "-t", "1", "--pairs", "4", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const o = r.json();
    expect(o).toMatchObject({ threads: 1, pairs: 4, cached_rerun_calls: 0 });
    for (const v of [o.local_jps, o.http_jps["1"], o.http_jps["4"]]) expect(v).toBeGreaterThan(0);
    expect(o.cached_rerun_seconds).toBeLessThan(1);
    expect(r.stderr).toMatch(/local judge: .* judgements\/s/);
    // every bench says which CPU it ran on: /proc/cpuinfo's model and flags, the addon's ggml CPU features
    expect(o.cpu.logical_cpus).toBeGreaterThan(0);
    expect(o.cpu.load_average).toHaveLength(3);
    expect(o.cpu.ggml.length).toBeGreaterThan(0);
    if (process.arch === "x64" && existsSync("/proc/cpuinfo")) {
      expect(o.cpu.model).not.toBe("");
      expect(o.cpu.isa).toContain("avx");
    }
  });
});
