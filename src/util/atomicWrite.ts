// The one way we write a file that must survive a crash or a kill: into a temporary file beside the
// target, then a rename over it. Readers never see half a file; a failure leaves the old one and no
// temporary behind.
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join, resolve } from "node:path";

/**
 * Lets `write` fill a temporary path (it may be native code), then renames it over `path`; creates the
 * directory. The temporary name is unique across the machines sharing an output folder.
 */
export async function writeAtomic(path: string, write: (tmp: string) => Promise<unknown>): Promise<void> {
  const dir = dirname(resolve(path));
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${hostname()}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await write(tmp);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** Writes `chunks` in order (an iterable may be lazy and large), syncs, then renames over `path`. */
export async function writeChunksAtomic(path: string, chunks: Iterable<string>): Promise<void> {
  await writeAtomic(path, async (tmp) => {
    const fh = await open(tmp, "w");
    try {
      let buf = "";
      for (const c of chunks) {
        buf += c;
        if (buf.length >= 1 << 20) {
          await fh.write(buf);
          buf = "";
        }
      }
      if (buf) await fh.write(buf);
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
}

export function writeTextAtomic(path: string, text: string): Promise<void> {
  return writeChunksAtomic(path, [text]);
}

/** Pretty-printed JSON with a final newline. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeTextAtomic(path, JSON.stringify(value, null, 2) + "\n");
}
