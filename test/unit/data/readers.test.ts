import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readDataset } from "../../../src/data/convert/index.js";
import { parsePythonStringList } from "../../../src/data/convert/pyliteral.js";
import { readRows, type SourceRow } from "../../../src/data/readers.js";
import { DatasetError } from "../../../src/errors.js";
import { fixture, withTempDir } from "./helpers.js";

async function collect(path: string): Promise<SourceRow[]> {
  const out: SourceRow[] = [];
  for await (const r of readRows(path)) out.push(r);
  return out;
}

describe("readRows", () => {
  it("gives CSV records the line they start on, and missing values as null", async () => {
    const rows = await collect(fixture("recipes/recipes.csv"));
    expect(rows.map((r) => r.where.replace(/^.*:/, ""))).toEqual(["2", "4", "5"]);
    expect(rows[1].row.Title).toBeNull();
    expect(rows[0].row[""]).toBe("0"); // Kaggle's unnamed index column
  });

  it("reads text files line by line, blank lines included, as the Hub's text loader does", async () => {
    const rows = await collect(fixture("pgn/chess.txt"));
    expect(rows[10]).toMatchObject({ index: 10, row: { text: "" } });
    expect(rows[11].where).toMatch(/chess\.txt:12$/);
  });

  it("names the item of a JSON array", async () => {
    await withTempDir(async (dir) => {
      const p = join(dir, "a.json");
      await writeFile(p, '[{"instruction": "x", "output": "y"}, 3]');
      await expect(collect(p)).rejects.toThrow(/a\.json: item 2: expected a JSON object/);
    });
  });

  it("rejects unknown extensions and unreadable Parquet with a DatasetError naming the file", async () => {
    await withTempDir(async (dir) => {
      const bad = join(dir, "train.parquet");
      await writeFile(bad, "not parquet at all");
      const e = await collect(bad).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DatasetError);
      expect((e as DatasetError).message).toContain(`${bad}: not a readable Parquet file`);
      const xml = join(dir, "train.xml");
      await writeFile(xml, "<x/>");
      await expect(collect(xml)).rejects.toMatchObject({ code: "DATA_UNSUPPORTED_FILE" });
    });
  });

  // The Parquet fixtures are the JSONL/text fixtures written by hyparquet-writer (see fixtures' README).
  it.each([
    ["gsm8k", "gsm8k/train.jsonl"],
    ["mbpp", "mbpp/mbpp.jsonl"], // INT64 task_id, list columns
    ["lima", "lima/train.jsonl"], // list<string> conversations
    ["pgn", "pgn/chess.txt"], // several row groups
  ])("reads Hub-style Parquet: %s gives the same examples as %s", async (format, twin) => {
    const dir = twin.split("/")[0];
    const fromParquet = await readDataset(format, fixture(dir, "train-00000-of-00001.parquet"));
    const fromTwin = await readDataset(format, fixture(twin));
    expect(fromParquet.rows.length).toBeGreaterThan(0);
    expect(fromParquet.rows).toEqual(fromTwin.rows);
    expect(fromParquet.notes).toEqual(fromTwin.notes);
  });

  it("names the row of a bad Parquet record", async () => {
    const e = await readDataset("poetry", fixture("gsm8k/train-00000-of-00001.parquet")).catch((x: unknown) => x);
    expect((e as DatasetError).message).toMatch(/train-00000-of-00001\.parquet: row 1: no field "poem name"/);
  });
});

describe("parsePythonStringList", () => {
  it("reads Python reprs: both quotes, escapes, unicode, empty lists", () => {
    expect(
      parsePythonStringList(`['6" pan', "baker's", 'it\\'s', 'a\\\\b', '\\xbd cup', '\\u00e9', 'tab\\t']`),
    ).toEqual(['6" pan', "baker's", "it's", "a\\b", "½ cup", "é", "tab\t"]);
    expect(parsePythonStringList(" [ ] ")).toEqual([]);
    expect(parsePythonStringList("['one',]")).toEqual(["one"]);
  });

  it("rejects what is not a list of strings", () => {
    expect(() => parsePythonStringList("['a' 'b']")).toThrow(SyntaxError);
    expect(() => parsePythonStringList("[1, 2]")).toThrow(/expected a quoted string/);
    expect(() => parsePythonStringList("['open")).toThrow(/unterminated/);
    expect(() => parsePythonStringList("['a'] x")).toThrow(/unexpected text/);
  });
});
