// The one way we write a file that must survive a crash, a kill or a full disk: into a temporary file
// beside the target, every write checked, synced, then a rename over it and a sync of the directory.
// Readers never see half a file; a failure leaves the old one and no temporary behind, and throws a
// typed error (DISK_FULL, OUTPUT_UNWRITABLE) naming the target.
import { randomBytes } from "node:crypto";
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { makeDirs, syncDir } from "./dirs.js";
import { IitError } from "../errors.js";
import { diskFullError, isDiskFull, writeFailure } from "./writeErrors.js";

/**
 * Lets `write` fill a temporary path (it may be native code), then syncs it and renames it over `path`;
 * creates the directory. The temporary name is unique across the machines sharing an output folder.
 */
export async function writeAtomic(path: string, write: (tmp: string) => Promise<unknown>): Promise<void> {
  const dir = dirname(resolve(path));
  await makeDirs(dir, path);
  const tmp = join(dir, `.${basename(path)}.${hostname()}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await write(tmp);
    // Native writers close without a sync: errors the device reports late surface here.
    const fh = await open(tmp, "r+");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw namingTarget(writeFailure(e, path), tmp, path);
  }
  await syncDir(dir).catch((e: unknown) => {
    throw writeFailure(e, path);
  });
}

/** A writer's error names the file the user asked for, not our temporary one (native writers name what they wrote). */
function namingTarget(e: unknown, tmp: string, path: string): unknown {
  if (!(e instanceof IitError) || !e.message.includes(tmp)) return e;
  if (e.code === "DISK_FULL") return diskFullError(path, null, e, e.message.replaceAll(tmp, path));
  return new (e.constructor as typeof IitError)(e.code, e.message.replaceAll(tmp, path), {
    cause: e,
    suggestion: e.suggestion,
  });
}

/** Writes all of `buf` at the handle's position: a write may take only part of it (a disk filling up). */
async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  for (let off = 0; off < buf.length; ) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

/** Writes `chunks` in order (an iterable may be lazy and large), syncs, then renames over `path`. A full disk names the bytes the file needed. */
export async function writeChunksAtomic(path: string, chunks: Iterable<string>): Promise<void> {
  const it = chunks[Symbol.iterator]();
  let consumed = 0; // bytes taken from `chunks` so far
  try {
    await writeAtomic(path, async (tmp) => {
      const fh = await open(tmp, "w");
      try {
        let buf = "";
        for (let c = it.next(); !c.done; c = it.next()) {
          buf += c.value;
          consumed += Buffer.byteLength(c.value);
          if (buf.length >= 1 << 20) {
            await writeAll(fh, Buffer.from(buf));
            buf = "";
          }
        }
        if (buf) await writeAll(fh, Buffer.from(buf));
      } finally {
        await fh.close();
      }
    });
  } catch (e) {
    if (!isDiskFull(e)) throw e;
    // How much the file needed: the chunks taken before the failure and those it left.
    let needed = consumed;
    for (let c = it.next(); !c.done; c = it.next()) needed += Buffer.byteLength(c.value);
    throw diskFullError(path, needed, e instanceof Error && e.cause ? e.cause : e);
  }
}

export function writeTextAtomic(path: string, text: string): Promise<void> {
  return writeChunksAtomic(path, [text]);
}

/** Pretty-printed JSON with a final newline. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeTextAtomic(path, JSON.stringify(value, null, 2) + "\n");
}
