// One writer per step directory, across processes and machines sharing the output folder (Slurm jobs,
// a local run next to them): an exclusive lock file whose mtime is a heartbeat.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, open, rename, stat, unlink, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { ExperimentError } from "../errors.js";
import { writeFailure } from "../util/writeErrors.js";

export const LOCK = ".lock";

interface LockInfo {
  host: string;
  pid: number;
  /** The Slurm job holding the step, when it runs in one. */
  job: string | null;
  since: string;
  token: string;
}

export interface LockOptions {
  /** A lock not refreshed for this long belongs to a dead process (a failed node). Defaults to 60 s. */
  staleMs?: number;
  /** How often the holder refreshes its lock. Defaults to staleMs / 6. */
  heartbeatMs?: number;
  /** Poll interval while a lock held elsewhere may still go stale. Defaults to 1 s. */
  pollMs?: number;
  /** Told once, when the lock is held elsewhere and will be waited on: what for, and for how long. */
  onWait?: (message: string) => void;
}

export interface StepLock extends AsyncDisposable {
  release(): Promise<void>;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readInfo(path: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LockInfo;
  } catch {
    return null; // gone, or its holder is still writing it
  }
}

const holder = (i: LockInfo | null) =>
  i
    ? `host ${i.host}, pid ${i.pid}${i.job ? `, Slurm job ${i.job}` : ""}, since ${i.since}`
    : "a process still writing its lock";

/**
 * Takes `<dir>/.lock` for this process. A lock held by a live process on this host fails at once
 * (EXPERIMENT_STEP_BUSY); one held on another host is waited on until it is released or goes stale
 * (its holder died with its node), then taken over; one whose holder is dead on this host is taken at once.
 */
export async function lockStepDir(dir: string, step: string, opts: LockOptions = {}): Promise<StepLock> {
  const staleMs = opts.staleMs ?? 60_000;
  const heartbeatMs = opts.heartbeatMs ?? staleMs / 6;
  const pollMs = opts.pollMs ?? 1000;
  const path = join(dir, LOCK);
  const me: LockInfo = {
    host: hostname(),
    pid: process.pid,
    job: process.env.SLURM_JOB_ID ?? null,
    since: new Date().toISOString(),
    token: randomBytes(8).toString("hex"),
  };
  const waitUntil = Date.now() + staleMs + 2 * pollMs;
  let told = false;
  for (;;) {
    try {
      const fh = await open(path, "wx");
      try {
        await fh.writeFile(JSON.stringify(me) + "\n");
      } catch (e) {
        await unlink(path).catch(() => {}); // an empty lock would make the next run wait for nothing
        throw writeFailure(e, path);
      } finally {
        await fh.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw writeFailure(e, path);
    }
    const info = readInfo(path);
    let age: number;
    try {
      age = Date.now() - (await stat(path)).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    const dead = info !== null && info.host === me.host && !pidAlive(info.pid);
    if (dead || age > staleMs) {
      await takeOver(path, info);
      continue;
    }
    if ((info && info.host === me.host) || Date.now() > waitUntil) {
      throw new ExperimentError(
        "EXPERIMENT_STEP_BUSY",
        `step ${step} is being run by another process (${holder(info)}): ${dir}`,
        {
          suggestion: `wait for it to finish (iit experiment status shows Slurm jobs); if that process is gone for good, delete ${path}`,
        },
      );
    }
    if (!told) {
      told = true;
      const what = info
        ? `held by ${holder(info)}`
        : "unreadable (not a lock this toolkit wrote, or one still being written)";
      opts.onWait?.(
        `waiting up to ${Math.round((waitUntil - Date.now()) / 1000)} s for ${path}: it is ${what}; it is taken over once it is ${Math.round(staleMs / 1000)} s old without a heartbeat`,
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const beat = setInterval(() => {
    const t = new Date();
    utimes(path, t, t).catch(() => {});
  }, heartbeatMs);
  beat.unref();
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    clearInterval(beat);
    if (readInfo(path)?.token === me.token) await unlink(path).catch(() => {});
  };
  return { release, [Symbol.asyncDispose]: release };
}

/** Moves a dead holder's lock aside; if another process took the lock in between, puts theirs back. */
async function takeOver(path: string, seen: LockInfo | null): Promise<void> {
  const aside = `${path}.stale-${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = readInfo(aside);
  if (seen && moved && moved.token !== seen.token) await link(aside, path).catch(() => {});
  await unlink(aside).catch(() => {});
}
