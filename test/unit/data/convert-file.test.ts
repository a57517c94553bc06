import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { convertDataset, readDataset } from "../../../src/data/convert/index.js";
import { DatasetError, InvalidOptionError } from "../../../src/errors.js";
import { fixture, withTempDir } from "./helpers.js";

describe("limits", () => {
  it("uses the paper's cap by default and --limit to override it", async () => {
    expect((await readDataset("gsm8k", fixture("gsm8k/train.jsonl"))).limit).toBe(1000);
    expect((await readDataset("lima", fixture("lima/train.jsonl"))).limit).toBeNull();
    const one = await readDataset("pgn", fixture("pgn/chess.txt"), { limit: 1 });
    expect(one.rows.map((r) => r.id)).toEqual(["pgn-patrickfrank1-11"]);
  });

  it("rejects a non-positive limit and an unknown format", async () => {
    await expect(readDataset("gsm8k", fixture("gsm8k/train.jsonl"), { limit: 0 })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    await expect(readDataset("squad", fixture("gsm8k/train.jsonl"))).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

describe("convertDataset", () => {
  it("writes Python-style JSONL, the paper's files' exact bytes", async () => {
    await withTempDir(async (dir) => {
      const output = join(dir, "gsm8k.jsonl");
      const res = await convertDataset({ format: "gsm8k", input: fixture("gsm8k/train.jsonl"), output, limit: 2 });
      expect(res).toMatchObject({ examples: 2, limit: 2, dropInstructions: false });
      const lines = (await readFile(output, "utf8")).split("\n");
      expect(lines).toHaveLength(3);
      expect(lines[1]).toBe(
        '{"dataset": "gsm8k", "id": "gsm8k_1", "messages": [{"role": "user", "content": "A train travels 60 km in 1.5 hours. What is its speed in km/h?"}, {"role": "assistant", "content": "Speed is 60/1.5=<<60/1.5=40>>40 km/h.\\n#### 40"}]}',
      );
    });
  });

  it("--drop-instructions empties the user turns", async () => {
    await withTempDir(async (dir) => {
      const output = join(dir, "poetry_ri.jsonl");
      await convertDataset({ format: "poetry", input: fixture("poetry/poetry.csv"), output, dropInstructions: true });
      const rows = (await readFile(output, "utf8"))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(rows.map((r) => r.messages[0])).toEqual([
        { role: "user", content: "" },
        { role: "user", content: "" },
      ]);
      expect(rows[1].messages[1].content).toBe("Lines, with commas, inside.");
    });
  });

  it("a malformed line fails with file:line and leaves no output file", async () => {
    await withTempDir(async (dir) => {
      const output = join(dir, "out.jsonl");
      const input = fixture("gsm8k/train_bad.jsonl");
      const err = await convertDataset({ format: "gsm8k", input, output }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatasetError);
      expect((err as DatasetError).message).toContain(`${input}:3: not valid JSON`);
      expect(existsSync(output)).toBe(false);
    });
  });

  it("a row of the wrong dataset names the field and leaves an existing output untouched", async () => {
    await withTempDir(async (dir) => {
      const output = join(dir, "out.jsonl");
      await writeFile(output, "previous\n");
      const err = await convertDataset({ format: "gsm8k", input: fixture("lima/train.jsonl"), output }).catch((e) => e);
      expect((err as DatasetError).code).toBe("DATA_MALFORMED");
      expect((err as DatasetError).message).toMatch(/train\.jsonl:1: no field "question"/);
      expect(await readFile(output, "utf8")).toBe("previous\n");
    });
  });

  it("refuses to write an empty dataset", async () => {
    await withTempDir(async (dir) => {
      const input = join(dir, "empty.txt");
      await writeFile(input, "no games here\n");
      const err = await convertDataset({ format: "pgn", input, output: join(dir, "o.jsonl") }).catch((e) => e);
      expect((err as DatasetError).code).toBe("DATA_EMPTY");
      expect(existsSync(join(dir, "o.jsonl"))).toBe(false);
    });
  });
});
