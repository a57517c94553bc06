import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeAtomic, writeJsonAtomic } from "../../../src/util/atomicWrite.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "iit-atomic-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("atomic writes", () => {
  it("creates the directory and leaves no temporary file", async () => {
    await writeJsonAtomic(join(dir, "a/b.json"), { x: 1 });
    expect(await readFile(join(dir, "a/b.json"), "utf8")).toBe('{\n  "x": 1\n}\n');
    expect(await readdir(join(dir, "a"))).toEqual(["b.json"]);
  });

  it("keeps the old file and removes the temporary one when the writer fails", async () => {
    const out = join(dir, "out.bin");
    await writeFile(out, "old");
    await expect(
      writeAtomic(out, async (tmp) => {
        await writeFile(tmp, "half");
        throw new Error("killed");
      }),
    ).rejects.toThrow(/killed/);
    expect(await readFile(out, "utf8")).toBe("old");
    expect(await readdir(dir)).toEqual(["out.bin"]);
  });
});
