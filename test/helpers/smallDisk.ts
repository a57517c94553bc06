// A real place that runs out of space, for the disk-full tests: a 300 KB tmpfs when this process may mount
// (root, as here and in CI), else a per-file size limit on the child (`prlimit --fsize`: writes past it
// fail with EFBIG), else nothing (the tests skip with the reason).
import { spawnSync } from "node:child_process";
import { rmSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliPath, repoRoot, tempDir } from "./fixtures.js";

export interface SmallDisk {
  dir: string;
  mode: "tmpfs" | "fsize";
  /** Leaves about `bytes` writable: on the tmpfs a filler file takes the rest; else each file of the child may grow to `bytes`. */
  limit(bytes: number): void;
  /** Lifts the limit (removes the filler). */
  unlimit(): void;
  /** Runs the built CLI under the limit. */
  iit(args: string[]): { code: number | null; stdout: string; stderr: string };
  dispose(): void;
}

const filler = (dir: string) => join(dir, "filler");

export function smallDisk(kb = 300): SmallDisk | string {
  const dir = tempDir("iit-disk-");
  // IIT_TEST_DISK=fsize tries the fallback where mounting works.
  const mounted =
    process.env.IIT_TEST_DISK !== "fsize" &&
    spawnSync("mount", ["-t", "tmpfs", "-o", `size=${kb}k`, "tmpfs", dir], { encoding: "utf8" }).status === 0;
  const hasPrlimit = spawnSync("prlimit", ["--version"]).status === 0;
  if (!mounted && !hasPrlimit) {
    rmSync(dir, { recursive: true, force: true });
    return "neither a tmpfs mount (needs root) nor prlimit is available to make a disk run out of space";
  }
  let fsize: number | null = null;
  return {
    dir,
    mode: mounted ? "tmpfs" : "fsize",
    limit(bytes) {
      if (!mounted) {
        fsize = bytes;
        return;
      }
      rmSync(filler(dir), { force: true });
      const s = statfsSync(dir);
      writeFileSync(filler(dir), Buffer.alloc(Math.max(0, s.bavail * s.bsize - bytes)));
    },
    unlimit() {
      fsize = null;
      rmSync(filler(dir), { force: true });
    },
    iit(args) {
      const [cmd, ...rest] =
        fsize === null
          ? [process.execPath, cliPath, ...args]
          : ["prlimit", `--fsize=${fsize}`, "--", process.execPath, cliPath, ...args];
      const r = spawnSync(cmd, rest, { cwd: repoRoot, encoding: "utf8", timeout: 120_000 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    dispose() {
      if (mounted) spawnSync("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
