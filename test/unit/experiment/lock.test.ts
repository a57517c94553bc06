// Concurrency on a shared output folder: step locks between real processes, and the file-hash cache
// saved by several processes at once.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileHasher } from "../../../src/util/hash.js";
import { LOCK, lockStepDir } from "../../../src/experiment/lock.js";
import { tempDir } from "../../helpers/fixtures.js";

/** A real process that holds `<dir>/.lock` until killed (as a step in another job would). */
async function holder(dir: string) {
  const p = spawn(
    process.execPath,
    [
      "-e",
      `require("fs").writeFileSync(${JSON.stringify(join(dir, LOCK))}, JSON.stringify({host: require("os").hostname(), pid: process.pid, job: "77", since: "then", token: "theirs"})); console.log("held"); setInterval(() => {}, 1000);`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise((r) => p.stdout!.once("data", r));
  return p;
}

const code = async (p: Promise<unknown>) =>
  p.then(
    () => "acquired",
    (e) => (e as { code: string }).code,
  );

describe("step locks", () => {
  it("one holder per directory in this process; released, it can be taken again", async () => {
    const dir = tempDir("iit-lock-");
    const a = await lockStepDir(dir, "x/generate");
    await expect(lockStepDir(dir, "x/generate")).rejects.toMatchObject({
      code: "EXPERIMENT_STEP_BUSY",
      message: expect.stringContaining(`pid ${process.pid}`),
    });
    await a.release();
    expect(existsSync(join(dir, LOCK))).toBe(false);
    await (await lockStepDir(dir, "x/generate")).release();
  });

  it("a live process on this host holds it (busy at once); once it is killed, the lock is taken over", async () => {
    const dir = tempDir("iit-lock-");
    const p = await holder(dir);
    try {
      const t0 = Date.now();
      await expect(lockStepDir(dir, "x/train")).rejects.toMatchObject({
        code: "EXPERIMENT_STEP_BUSY",
        message: expect.stringContaining(`pid ${p.pid}, Slurm job 77`),
      });
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      p.kill("SIGKILL");
      await new Promise((r) => p.once("exit", r));
    }
    const l = await lockStepDir(dir, "x/train");
    expect(JSON.parse(readFileSync(join(dir, LOCK), "utf8"))).toMatchObject({ host: hostname(), pid: process.pid });
    await l.release();
  });

  it("a lock held on another host: waited on while its heartbeat goes on, taken over once it stops (a failed node)", async () => {
    const dir = tempDir("iit-lock-");
    const path = join(dir, LOCK);
    writeFileSync(path, JSON.stringify({ host: "elsewhere", pid: 1, job: null, since: "then", token: "remote" }));
    const beat = setInterval(() => utimesSync(path, new Date(), new Date()), 50);
    const t0 = Date.now();
    try {
      expect(await code(lockStepDir(dir, "x/judge", { staleMs: 400, pollMs: 50 }))).toBe("EXPERIMENT_STEP_BUSY");
      expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    } finally {
      clearInterval(beat);
    }
    const t1 = Date.now();
    const l = await lockStepDir(dir, "x/judge", { staleMs: 400, pollMs: 50 });
    expect(Date.now() - t1).toBeGreaterThanOrEqual(300);
    expect(JSON.parse(readFileSync(path, "utf8")).pid).toBe(process.pid);
    await l.release();
  });

  it("the holder's heartbeat keeps its lock fresh; release leaves a lock that is no longer its own", async () => {
    const dir = tempDir("iit-lock-");
    const path = join(dir, LOCK);
    const l = await lockStepDir(dir, "x/train", { staleMs: 300, heartbeatMs: 50 });
    utimesSync(path, new Date(0), new Date(0));
    await new Promise((r) => setTimeout(r, 150));
    expect(Date.now() - (await import("node:fs")).statSync(path).mtimeMs).toBeLessThan(300);
    writeFileSync(path, JSON.stringify({ host: "elsewhere", pid: 1, token: "other" }));
    await l.release();
    expect(existsSync(path)).toBe(true);
  });
});

describe("the file-hash cache on a shared output folder", () => {
  it("keeps the hashes every process saved (each save merges into the file as it is then)", async () => {
    const dir = tempDir("iit-hashes-");
    const memo = join(dir, ".file-hashes.json");
    const [f1, f2] = [join(dir, "a.txt"), join(dir, "b.txt")];
    writeFileSync(f1, "a");
    writeFileSync(f2, "b");
    // Two jobs start from the same (empty) cache, hash different inputs, save one after the other.
    const job1 = new FileHasher(memo);
    const job2 = new FileHasher(memo);
    await job1.hash(f1);
    await job2.hash(f2);
    await job1.save();
    await job2.save();
    expect(Object.keys(JSON.parse(readFileSync(memo, "utf8"))).sort()).toEqual([f1, f2]);
  });
});
