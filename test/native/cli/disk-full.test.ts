// Issue 25, item 1: a full disk loses nothing. generate, merge and data convert on a real 300 KB tmpfs (or
// a file-size limit) stop with DISK_FULL naming the file and the bytes it needed; the previous output and
// the journal stay byte for byte, no temporary file is left, and a rerun with space finishes the job.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliPath, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";
import { smallDisk, type SmallDisk } from "../../helpers/smallDisk.js";

const disk = smallDisk();
const skip =
  skipNoModel ||
  (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)") ||
  (typeof disk === "string" ? disk : false);

const story =
  "Once upon a time there was a little girl named Lily. She loved to play outside in the sun with her dog. ";
const rows = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ instruction: `${tag} ${i}`, output: story.repeat(3), generator: "earlier" }));
const jsonlOf = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).join("\n") + "\n";
const journalRows = (f: string) =>
  readFileSync(f, "utf8")
    .split("\n")
    .filter((l) => l.trim()).length;
const typedFull = (r: { code: number | null; stderr: string }, file: string) => {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toContain("error [DISK_FULL]");
  expect(r.stderr).toContain(file);
  expect(r.stderr).toMatch(/needed \d+ bytes/);
  expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
};
const noTemporaries = (dir: string) => expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);

describe.skipIf(skip)("a full disk loses nothing (real processes, small disk)", () => {
  const d = disk as SmallDisk;
  const elsewhere = tempDir();
  afterAll(() => d.dispose());
  const gen = ["generate", "-m", storiesModel, "-n", "48", "-t", "1"];
  const prompts = join(elsewhere, "p20.jsonl");
  writeFileSync(
    prompts,
    jsonlOf(Array.from({ length: 20 }, (_, i) => ({ instruction: `Tell me a story about a dog ${i}` }))),
  );

  it("generate: the issue's repro keeps out.json and the journal, exits 1 with DISK_FULL, and a rerun folds the rows in", () => {
    d.unlimit();
    const out = join(d.dir, "out.json");
    writeFileSync(out, JSON.stringify(rows(60, "earlier prompt"), null, 2) + "\n");
    const before = readFileSync(out);
    d.limit(30_000);
    const r = d.iit([...gen, "-i", prompts, "-o", out]);
    typedFull(r, out);
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(journalRows(`${out}.journal.jsonl`)).toBe(20);
    noTemporaries(d.dir);

    d.unlimit();
    const again = d.iit([...gen, "-i", prompts, "-o", out, "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ generated: 0, skipped: 20, kept: 60 });
    expect(JSON.parse(readFileSync(out, "utf8"))).toHaveLength(80);
    expect(existsSync(`${out}.journal.jsonl`)).toBe(false);
  });

  it("generate: a journal that hits the full disk stops the run with DISK_FULL naming it; the rows it holds are kept", () => {
    d.unlimit();
    const out = join(d.dir, "journal.json");
    d.limit(6_000);
    const r = d.iit([...gen, "-i", prompts, "-o", out]);
    typedFull(r, `${out}.journal.jsonl`);
    noTemporaries(d.dir);
    const kept =
      (existsSync(out) ? JSON.parse(readFileSync(out, "utf8")).length : 0) +
      (existsSync(`${out}.journal.jsonl`) ? journalRows(`${out}.journal.jsonl`) : 0);
    expect(kept).toBeGreaterThan(0);

    d.unlimit();
    const again = d.iit([...gen, "-i", prompts, "-o", out, "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ skipped: kept, generated: 20 - kept });
    expect(JSON.parse(readFileSync(out, "utf8"))).toHaveLength(20);
  });

  it("merge keeps the previous output and names it", () => {
    d.unlimit();
    const parts = [join(elsewhere, "a.json"), join(elsewhere, "b.json")];
    writeFileSync(parts[0], JSON.stringify(rows(40, "part a")));
    writeFileSync(parts[1], JSON.stringify(rows(40, "part b")));
    const out = join(d.dir, "merged.json");
    writeFileSync(out, JSON.stringify(rows(3, "old")));
    const before = readFileSync(out);
    d.limit(10_000);
    typedFull(d.iit(["merge", ...parts, "-o", out]), out);
    expect(readFileSync(out).equals(before)).toBe(true);
    noTemporaries(d.dir);
  });

  it("data convert keeps the previous output and names it", () => {
    d.unlimit();
    const input = join(elsewhere, "msgs.jsonl");
    writeFileSync(
      input,
      jsonlOf(
        Array.from({ length: 100 }, (_, i) => ({
          id: `x${i}`,
          messages: [
            { role: "user", content: `q ${i}` },
            { role: "assistant", content: story.repeat(4) },
          ],
        })),
      ),
    );
    const out = join(d.dir, "data.jsonl");
    writeFileSync(out, "previous\n");
    d.limit(10_000);
    typedFull(d.iit(["data", "convert", "--format", "messages", "--input", input, "--output", out]), out);
    expect(readFileSync(out, "utf8")).toBe("previous\n");
    noTemporaries(d.dir);
  });
});
