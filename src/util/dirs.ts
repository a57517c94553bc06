// Directories for outputs: created only under a place that takes files (Node 20's recursive mkdir spins
// forever under /proc), and synced after a rename so the new name survives a crash of the machine.
import { existsSync, statSync } from "node:fs";
import { type FileHandle, mkdir, open } from "node:fs/promises";
import { resolve } from "node:path";
import { checkOutputPath } from "./outputPath.js";
import { writeFailure } from "./writeErrors.js";

/** Creates `dir` and its parents for writing `forPath`; a place that cannot take them is a typed error. */
export async function makeDirs(dir: string, forPath: string = dir): Promise<void> {
  if (existsSync(dir) && statSync(dir).isDirectory()) return;
  checkOutputPath(resolve(dir), forPath === dir ? "the directory" : `the directory of ${forPath}:`, {
    directory: true,
  });
  await mkdir(dir, { recursive: true }).catch((e: unknown) => {
    throw writeFailure(e, forPath);
  });
}

/** fsync of a directory, where the file system has one (some refuse to open or sync directories). */
export async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await open(dir, "r");
  } catch {
    return;
  }
  try {
    await fh.sync();
  } catch (e) {
    if (!["EINVAL", "EPERM", "EISDIR", "ENOTSUP", "EBADF"].includes((e as NodeJS.ErrnoException).code ?? "")) throw e;
  } finally {
    await fh.close();
  }
}
