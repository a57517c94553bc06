// `--load N`: the bench's busy processes run while it measures and are gone after, also on error.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startLoad } from "../../../src/bench/load.js";
import { InvalidOptionError } from "../../../src/errors.js";
import { cliPath, repoRoot } from "../../helpers/fixtures.js";

// A process that exited but was not reaped (an orphan under a container's init) counts as gone.
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};
const cpuSeconds = (pid: number) => {
  const f = execFileSync("cat", [`/proc/${pid}/stat`], { encoding: "utf8" })
    .split(") ")[1]
    .split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks of 1/100 s
};

describe("bench --load", () => {
  it("starts N spinning processes and kills them on dispose", async () => {
    let pids: number[] = [];
    {
      await using load = await startLoad(2);
      pids = load.pids;
      expect(pids).toHaveLength(2);
      // each one burns CPU (a shared machine may give it only part of a core: wait for 0.3 s of it)
      for (let i = 0; i < 100 && pids.some((pid) => cpuSeconds(pid) < 0.3); i++)
        await new Promise((r) => setTimeout(r, 100));
      for (const pid of pids) expect(cpuSeconds(pid)).toBeGreaterThanOrEqual(0.3);
    }
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it("kills them when the code using them throws", async () => {
    let pids: number[] = [];
    await expect(
      (async () => {
        await using load = await startLoad(1);
        pids = load.pids;
        throw new Error("bench failed");
      })(),
    ).rejects.toThrow("bench failed");
    expect(pids).toHaveLength(1);
    expect(alive(pids[0])).toBe(false);
  });

  it("a busy process exits by itself when the bench process dies without killing it", async () => {
    const script = `import("${repoRoot}/dist/bench/load.js").then(async (m) => { const l = await m.startLoad(1); console.log(l.pids[0]); process.kill(process.pid, "SIGKILL"); });`;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
    const pid = Number(r.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((res) => setTimeout(res, 100));
    expect(alive(pid)).toBe(false);
  });

  it("a negative --load is a typed error naming the option", async () => {
    await expect(startLoad(-1)).rejects.toThrow(InvalidOptionError);
    const r = spawnSync(
      process.execPath,
      [cliPath, "bench", "train", "-m", "x.gguf", "--data", "x.jsonl", "--load", "-1"],
      { encoding: "utf8" },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--load/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
