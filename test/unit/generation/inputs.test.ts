import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseShard, readPrompts, shardSlice } from "../../../src/generation/inputs.js";
import { parseLoraArg } from "../../../src/model/options.js";
import { checkThreads, chooseThreads } from "../../../src/model/threads.js";
import { tuluPrompt, tuluPromptFromMessages } from "../../../src/data/template.js";
import { tempDir } from "../../helpers/fixtures.js";

describe("prompt files", () => {
  const dir = tempDir();
  const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));

  it("reads instruction JSONL, messages JSONL and AlpacaEval arrays", async () => {
    expect(await readPrompts(file("a.jsonl", '{"instruction":"A"}\n\n{"instruction":"B","dataset":"d"}\n'))).toEqual([
      { instruction: "A" },
      { instruction: "B", dataset: "d" },
    ]);
    const msgs = [
      { role: "user", content: "Q1" },
      { role: "assistant", content: "A1" },
      { role: "user", content: "Q2" },
      { role: "assistant", content: "A2" },
    ];
    const [m] = await readPrompts(file("m.jsonl", JSON.stringify({ id: "x", messages: msgs }) + "\n"));
    expect(m.instruction).toBe("Q2");
    expect(m.messages).toEqual(msgs.slice(0, 3));
    expect(
      await readPrompts(file("ae.json", '[{"instruction":"X","output":"o","generator":"g","dataset":"helpful_base"}]')),
    ).toEqual([{ instruction: "X", dataset: "helpful_base" }]);
  });

  it("names the file and line of malformed input", async () => {
    await expect(readPrompts(file("bad.jsonl", '{"instruction":"A"}\n{oops\n'))).rejects.toMatchObject({
      code: "DATA_MALFORMED",
      message: expect.stringContaining("bad.jsonl:2"),
    });
    await expect(readPrompts(file("bad2.jsonl", '{"prompt":"A"}\n'))).rejects.toThrow(
      /bad2.jsonl:1: needs "instruction"/,
    );
    await expect(readPrompts(join(dir, "missing.jsonl"))).rejects.toMatchObject({ code: "DATA_NOT_FOUND" });
  });

  it("shards are contiguous, cover everything once and keep order", () => {
    const items = Array.from({ length: 11 }, (_, i) => i);
    const parts = [1, 2, 3].map((k) => shardSlice(items, { k, n: 3 }));
    expect(parts.flat()).toEqual(items);
    expect(parts.map((p) => p.length)).toEqual([3, 4, 4]);
    expect(parseShard("2/4")).toEqual({ k: 2, n: 4 });
    for (const bad of ["0/2", "3/2", "x", "1/0"]) expect(() => parseShard(bad)).toThrow(/--shard/);
  });
});

describe("options", () => {
  it("parses --lora path[:scale]", () => {
    expect(parseLoraArg("a.gguf")).toEqual({ path: "a.gguf", scale: 1 });
    expect(parseLoraArg("a.gguf:0.5")).toEqual({ path: "a.gguf", scale: 0.5 });
    expect(parseLoraArg("/x/y:z/a.gguf:-1")).toEqual({ path: "/x/y:z/a.gguf", scale: -1 });
    expect(parseLoraArg("hf:user/repo:Q4_K_M")).toEqual({ path: "hf:user/repo:Q4_K_M", scale: 1 });
  });

  it("never allows more threads than cores", () => {
    expect(chooseThreads({ nParams: 1, tokensPerDecode: 1 })).toBeGreaterThan(0);
    expect(() => checkThreads(10_000)).toThrow(/exceeds/);
    expect(() => checkThreads(0)).toThrow(/positive/);
  });

  it("renders the paper's Tulu prompt", () => {
    expect(tuluPrompt("Hi")).toBe("<|user|>\nHi\n<|assistant|>\n");
    expect(tuluPromptFromMessages([{ role: "user", content: "" }])).toBe("<|user|>\n\n<|assistant|>\n");
  });
});
