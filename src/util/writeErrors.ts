// What a failed write of an output means to the user: the operating system's errno turned into a typed
// error that names the file, and for a full disk how much it needed and how much is free.
import { statfsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { IitError, OutputWriteError } from "../errors.js";

/** errno codes of a device or quota that has no room left (EFBIG: a file-size limit such as ulimit -f). */
const FULL = new Set(["ENOSPC", "EDQUOT", "EFBIG"]);
/** errno codes of a place this process may not write. */
const DENIED = new Set(["EACCES", "EPERM", "EROFS", "ENOENT", "ENOTDIR", "EISDIR", "ELOOP", "ENAMETOOLONG", "ETXTBSY"]);

/** Bytes this process may still write on the device holding `path` (null when unknown). */
export function freeBytes(path: string): number | null {
  try {
    const s = statfsSync(dirname(resolve(path)));
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

export function isDiskFull(e: unknown): boolean {
  return FULL.has((e as NodeJS.ErrnoException)?.code ?? "") || (e instanceof IitError && e.code === "DISK_FULL");
}

/**
 * The typed error for a full disk while writing `path`, which needed `needed` bytes (when known). `said`
 * replaces the first part of the message when a native writer already described the failure.
 */
export function diskFullError(path: string, needed: number | null, cause?: unknown, said?: string): OutputWriteError {
  const free = freeBytes(path);
  const errno = (cause as NodeJS.ErrnoException)?.code;
  const need = needed === null ? "" : `; it needed ${needed} bytes`;
  const what = said ?? `cannot write ${path}: no space left on its device${errno ? ` (${errno})` : ""}`;
  return new OutputWriteError("DISK_FULL", `${what}${need}${free === null ? "" : `; ${free} bytes are free there`}`, {
    cause,
    suggestion: `free space on ${dirname(resolve(path))} (or write elsewhere) and run again: the previous ${path}, if any, is unchanged`,
  });
}

/**
 * Turns an error of writing `path` into a typed one: DISK_FULL for a full device or quota, OUTPUT_UNWRITABLE
 * for a place that refuses writes. Typed errors and errors of other kinds are returned as they are.
 */
export function writeFailure(e: unknown, path: string, needed: number | null = null): unknown {
  if (e instanceof IitError) return e;
  const code = (e as NodeJS.ErrnoException)?.code ?? "";
  if (FULL.has(code)) return diskFullError(path, needed, e);
  if (DENIED.has(code)) {
    return new OutputWriteError(
      "OUTPUT_UNWRITABLE",
      `cannot write ${path}: ${code} (${(e as Error).message.replace(/^[A-Z]+: /, "")})`,
      {
        cause: e,
        suggestion:
          "write to a directory you can write (check its permissions and that its file system is not read-only)",
      },
    );
  }
  return e;
}

const WRITING = new Set(["write", "mkdir", "rename", "fsync", "fdatasync", "ftruncate"]); // not copyfile or link: their ENOENT may be the source

/** A write that escaped every writer's own handling, typed by the path it carries (the CLI's last resort). */
export function typedSystemError(e: unknown): unknown {
  const { path, syscall, code } = (e ?? {}) as NodeJS.ErrnoException;
  return typeof path === "string" && syscall && (WRITING.has(syscall) || FULL.has(code ?? ""))
    ? writeFailure(e, path)
    : e;
}
