import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkOutputPath } from "../../../src/util/outputPath.js";
import { tempDir } from "../../helpers/fixtures.js";

const dir = tempDir("iit-outpath-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const code = (f: () => void) => {
  try {
    f();
    return null;
  } catch (e) {
    return (e as { code?: string }).code;
  }
};

describe("checkOutputPath", () => {
  it("accepts a new or writable file in a writable directory and leaves no probe behind", () => {
    expect(code(() => checkOutputPath(join(dir, "new.json"), "-o"))).toBeNull();
    writeFileSync(join(dir, "old.json"), "[]");
    expect(code(() => checkOutputPath(join(dir, "old.json"), "-o"))).toBeNull();
    expect(readdirSync(dir).filter((f) => f.startsWith(".iit-probe"))).toEqual([]);
  });

  it("refuses a missing directory unless parents are created, then checks the nearest existing one", () => {
    expect(code(() => checkOutputPath(join(dir, "a", "b", "o.json"), "-o"))).toBe("OUTPUT_DIR_NOT_FOUND");
    expect(code(() => checkOutputPath(join(dir, "a", "b", "o.json"), "-o", { createParents: true }))).toBeNull();
    expect(code(() => checkOutputPath("/proc/iit-none/o.gguf", "-o", { createParents: true }))).toBe(
      "OUTPUT_UNWRITABLE",
    );
    writeFileSync(join(dir, "plain"), "x");
    expect(code(() => checkOutputPath(join(dir, "plain", "sub", "o.json"), "-o", { createParents: true }))).toBe(
      "OUTPUT_UNWRITABLE",
    );
  });

  it("refuses a directory as a file, a file as a directory, a read-only file and a place that takes no files", () => {
    mkdirSync(join(dir, "d"));
    expect(code(() => checkOutputPath(join(dir, "d"), "-o"))).toBe("OUTPUT_IS_DIRECTORY");
    expect(code(() => checkOutputPath(join(dir, "plain"), "output", { directory: true }))).toBe("OUTPUT_NOT_DIRECTORY");
    expect(code(() => checkOutputPath(join(dir, "d"), "output", { directory: true }))).toBeNull();
    writeFileSync(join(dir, "ro.json"), "[]");
    chmodSync(join(dir, "ro.json"), 0o444);
    expect(code(() => checkOutputPath(join(dir, "ro.json"), "-o"))).toBe("OUTPUT_READ_ONLY");
    expect(code(() => checkOutputPath("/proc/self/o.json", "-o"))).toBe("OUTPUT_UNWRITABLE");
    expect(code(() => checkOutputPath("/proc/iit-none/out", "output", { directory: true }))).toBe("OUTPUT_UNWRITABLE");
  });
});
