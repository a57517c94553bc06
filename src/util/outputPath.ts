// The one check of an output path, run before any work: can this file (or directory) be written here?
// Without it a run finds out at its very end (train, lab pretrain), replaces a read-only file, or spins in
// Node 20's recursive mkdir under /proc.
import { existsSync, openSync, closeSync, statSync, unlinkSync, accessSync, constants } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { InvalidOptionError, OutputWriteError } from "../errors.js";
import { writeFailure } from "./writeErrors.js";

export interface OutputPathOptions {
  /** Create missing parent directories later (train, lab, experiments): only the nearest existing one must be writable. */
  createParents?: boolean;
  /** The path is a directory (an experiment's output) rather than a file. */
  directory?: boolean;
}

/** The nearest existing ancestor of `dir` (dir itself when it exists). */
function nearestExisting(dir: string): string {
  let d = resolve(dir);
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** Creates and removes a file in `dir`: the only test of writability that holds for root and read-only mounts. */
function probeWritable(dir: string, flag: string, path: string): void {
  const probe = join(dir, `.iit-probe-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    closeSync(openSync(probe, "wx"));
    unlinkSync(probe);
  } catch (e) {
    const typed = writeFailure(e, dir);
    if (typed instanceof OutputWriteError && typed.code === "OUTPUT_UNWRITABLE") {
      throw new OutputWriteError(
        "OUTPUT_UNWRITABLE",
        `${flag} ${path}: cannot create files in ${dir} (${(e as NodeJS.ErrnoException).code})`,
        {
          cause: e,
          suggestion:
            "choose a directory you can write (check its permissions and that its file system is not read-only)",
        },
      );
    }
    throw typed; // a full disk is also worth saying now
  }
}

/**
 * Checked before any work. A file output: its directory exists (or, with createParents, can be created) and
 * takes new files, and the path is not a directory or a read-only file. A directory output: it is a
 * directory, or can be created, and takes new files.
 */
export function checkOutputPath(path: string, flag: string, opts: OutputPathOptions = {}): void {
  const abs = resolve(path);
  if (existsSync(abs)) {
    const isDir = statSync(abs).isDirectory();
    if (opts.directory && !isDir) {
      throw new OutputWriteError("OUTPUT_NOT_DIRECTORY", `${flag} ${path} is a file, not a directory`, {
        suggestion: "name a directory (new or existing)",
      });
    }
    if (!opts.directory && isDir) {
      throw new OutputWriteError("OUTPUT_IS_DIRECTORY", `${flag} ${path} is a directory; it names the file to write`, {
        suggestion: `name a file, for example ${join(path, "out")}…`,
      });
    }
    if (!opts.directory && !writable(abs)) {
      throw new OutputWriteError("OUTPUT_READ_ONLY", `${flag} ${path} is read-only; it would be replaced`, {
        suggestion: `make it writable (chmod u+w ${path}) if it may be replaced, or write to another file`,
      });
    }
  }
  const dir = opts.directory && existsSync(abs) ? abs : dirname(abs);
  if (!existsSync(dir) && !opts.createParents && !opts.directory) {
    throw new InvalidOptionError("OUTPUT_DIR_NOT_FOUND", `the directory of ${flag} ${path} does not exist`, {
      suggestion: `create it first (mkdir -p ${dirname(path)})`,
    });
  }
  const base = nearestExisting(dir);
  if (!statSync(base).isDirectory()) {
    throw new OutputWriteError(
      "OUTPUT_UNWRITABLE",
      `${flag} ${path}: ${base} is a file, so no directory can be made under it`,
      {
        suggestion: "choose a path whose parent directories are directories",
      },
    );
  }
  probeWritable(base, flag, path);
}

/** Write permission as the file's mode says it, also for root (whom access(2) lets write anything). */
function writable(file: string): boolean {
  if ((statSync(file).mode & 0o222) === 0) return false;
  try {
    accessSync(file, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
