import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DatasetError } from "../../../src/errors.js";
import { dropInstructions, readMessagesJsonl, writeJsonlAtomic } from "../../../src/data/messages.js";
import { pythonJsonDumps } from "../../../src/data/pyjson.js";
import { fixture, hasSharedLima, sharedLima, withTempDir } from "./helpers.js";

async function rejection(p: Promise<unknown>): Promise<DatasetError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DatasetError);
  return e as DatasetError;
}

describe("readMessagesJsonl", () => {
  it("reads valid rows, keeping extra keys and key order", async () => {
    const rows = await readMessagesJsonl(fixture("messages/sample.jsonl"));
    expect(rows).toHaveLength(2);
    expect(Object.keys(rows[0])).toEqual(["dataset", "id", "messages", "source"]);
    expect(rows[1].messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user", "assistant"]);
  });

  it("names the file and line of malformed JSON (blank lines still count)", async () => {
    const path = fixture("messages/bad_json.jsonl");
    const e = await rejection(readMessagesJsonl(path));
    expect(e.code).toBe("DATA_MALFORMED");
    expect(e.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3: not valid JSON`));
  });

  it("names the line and the field of an invalid row", async () => {
    const e = await rejection(readMessagesJsonl(fixture("messages/bad_role.jsonl")));
    expect(e.message).toContain("bad_role.jsonl:2:");
    expect(e.message).toContain('"messages.1.role"');
  });

  it("reports a missing file as DATA_NOT_FOUND", async () => {
    const e = await rejection(readMessagesJsonl(fixture("messages/nope.jsonl")));
    expect(e.code).toBe("DATA_NOT_FOUND");
  });
});

describe("pythonJsonDumps", () => {
  it("matches Python json.dumps separators and ensure_ascii escapes", () => {
    const v = { a: 'é\u2028"\\\n\t\x01\x7f', b: [1, 2.5, true, null], c: "😀" };
    expect(pythonJsonDumps(v)).toBe(
      '{"a": "\\u00e9\\u2028\\"\\\\\\n\\t\\u0001\\u007f", "b": [1, 2.5, true, null], "c": "\\ud83d\\ude00"}',
    );
  });
});

describe("writeJsonlAtomic", () => {
  it("writes one Python-style JSON line per row and leaves no temp file", async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, "sub/out.jsonl");
      await writeJsonlAtomic(out, [{ id: "x", messages: [{ role: "user", content: "ü" }] }]);
      expect(await readFile(out, "utf8")).toBe('{"id": "x", "messages": [{"role": "user", "content": "\\u00fc"}]}\n');
      expect(await readdir(join(dir, "sub"))).toEqual(["out.jsonl"]);
    });
  });

  it("keeps the previous file and removes its temp file when serialization fails", async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, "out.jsonl");
      await writeFile(out, "old\n");
      function* rows() {
        yield { id: "a" };
        throw new Error("boom");
      }
      await expect(writeJsonlAtomic(out, rows())).rejects.toThrow(/boom/);
      expect(await readFile(out, "utf8")).toBe("old\n");
      expect(await readdir(dir)).toEqual(["out.jsonl"]);
    });
  });
});

describe("dropInstructions", () => {
  it("empties user turns only and does not mutate its input", async () => {
    const rows = await readMessagesJsonl(fixture("messages/sample.jsonl"));
    const dropped = dropInstructions(rows);
    expect(dropped[1].messages.map((m) => m.content)).toEqual(["Be brief.", "", "4", "", "6"]);
    expect(rows[1].messages[1].content).toBe("2+2?");
    expect(Object.keys(dropped[0])).toEqual(["dataset", "id", "messages", "source"]);
  });

  it.skipIf(!hasSharedLima)(
    "turns the first 5 lines of lima_data.jsonl into those of lima_no_instruction.jsonl, byte for byte (needs ../shared)",
    async () => {
      const firstLines = async (name: string) =>
        (await readFile(join(sharedLima, name), "utf8")).split("\n").slice(0, 5).join("\n") + "\n";
      await withTempDir(async (dir) => {
        const src = join(dir, "lima5.jsonl");
        const out = join(dir, "lima5_no_instruction.jsonl");
        await writeFile(src, await firstLines("lima_data.jsonl"));
        await writeJsonlAtomic(out, dropInstructions(await readMessagesJsonl(src)));
        expect(await readFile(out, "utf8")).toBe(await firstLines("lima_no_instruction.jsonl"));
      });
    },
  );
});
