// Issue 25 item 6: two rows for one instruction are two rows. A resume (and merge --input) matches the
// k-th prompt with an instruction to the k-th row with it, so neither is dropped or doubled.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { iitAsync } from "../serve/proc.js";
import { cliPath, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");
const jsonl = (xs: string[]) => xs.map((instruction) => JSON.stringify({ instruction })).join("\n") + "\n";
const read = (f: string) => JSON.parse(readFileSync(f, "utf8")) as { instruction: string; output: string }[];
const row = (instruction: string, output: string) => ({ instruction, output, generator: "earlier" });

describe.skipIf(skip)("rows with the same instruction (real processes)", () => {
  const dir = tempDir();
  const gen = ["generate", "-m", storiesModel, "--template", "raw", "-n", "4", "-t", "1", "--json"];

  it("a resume keeps both rows of a repeated instruction and generates only what is missing", () => {
    const out = join(dir, "out.json");
    writeFileSync(out, JSON.stringify([row("Lily", "first"), row("Lily", "second")]));
    const input = join(dir, "three.jsonl");
    writeFileSync(input, jsonl(["Lily", "Tom", "Lily"]));
    const r = iit([...gen, "-i", input, "-o", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ total: 3, generated: 1, skipped: 2, kept: 0 });
    expect(read(out).map((x) => x.output.length > 0 && x.instruction)).toEqual(["Lily", "Tom", "Lily"]);
    expect(
      read(out)
        .filter((x) => x.instruction === "Lily")
        .map((x) => x.output),
    ).toEqual(["first", "second"]);
  });

  it("an input with the instruction once keeps the other row after it, counted as kept", () => {
    const out = join(dir, "once.json");
    writeFileSync(out, JSON.stringify([row("Lily", "first"), row("Lily", "second")]));
    const input = join(dir, "once.jsonl");
    writeFileSync(input, jsonl(["Lily"]));
    const r = iit([...gen, "-i", input, "-o", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ generated: 0, skipped: 1, kept: 1 });
    expect(read(out).map((x) => x.output)).toEqual(["first", "second"]);
  });

  it("a fresh run of a repeated instruction writes one row per input row, and its resume generates nothing", () => {
    const out = join(dir, "fresh.json");
    const input = join(dir, "fresh.jsonl");
    writeFileSync(input, jsonl(["Lily", "Lily", "Tom", "Lily"]));
    expect(iit([...gen, "--parallel", "2", "-i", input, "-o", out]).json()).toMatchObject({ generated: 4 });
    const again = iit([...gen, "-i", input, "-o", out]);
    expect(again.json()).toMatchObject({ generated: 0, skipped: 4, kept: 0 });
    expect(read(out).map((x) => x.instruction)).toEqual(["Lily", "Lily", "Tom", "Lily"]);
  });

  it("a SIGKILL with repeated instructions in flight: the journal's rows fold back one per input row", async () => {
    const input = join(dir, "killed.jsonl");
    writeFileSync(
      input,
      jsonl(["Lily", "Tom", "Lily", "Lily", "Once upon a time", "Tom", "Lily", "Ben", "Lily", "Tom"]),
    );
    const args = (out: string) => [
      "generate",
      "-m",
      storiesModel,
      "--template",
      "raw",
      "-n",
      "96",
      "-t",
      "1",
      "--parallel",
      "3",
      "-i",
      input,
      "-o",
      out,
    ];
    const whole = join(dir, "whole.json");
    expect(iit(args(whole)).code).toBe(0);
    const out = join(dir, "killed.json");
    const journal = `${out}.journal.jsonl`;
    const lines = () =>
      existsSync(journal)
        ? readFileSync(journal, "utf8")
            .split("\n")
            .filter((l) => l.endsWith("}")).length
        : 0;
    const r = await iitAsync(args(out), {
      onSpawn: (c) => {
        const t = setInterval(() => {
          if (lines() >= 2) {
            clearInterval(t);
            c.kill("SIGKILL");
          }
        }, 5);
      },
    });
    expect(r.signal).toBe("SIGKILL");
    const again = iit([...args(out), "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().skipped).toBeGreaterThanOrEqual(2);
    expect(read(out)).toEqual(read(whole));
    expect(readFileSync(out, "utf8")).not.toContain("input_occurrence");
  });

  it("merge --input matches the k-th prompt to the k-th row of the parts", () => {
    const a = join(dir, "a.json");
    const b = join(dir, "b.json");
    writeFileSync(a, JSON.stringify([row("Lily", "from a")]));
    writeFileSync(b, JSON.stringify([row("Lily", "from b")]));
    const input = join(dir, "two.jsonl");
    writeFileSync(input, jsonl(["Lily", "Lily"]));
    const merged = join(dir, "merged.json");
    const r = iit(["merge", a, b, "-i", input, "-o", merged]);
    expect(r.code, r.stderr).toBe(0);
    expect(read(merged).map((x) => x.output)).toEqual(["from a", "from b"]);
  });
});
