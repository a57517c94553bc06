import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDataCommand } from "../../../src/cli/commands/data.js";
import { DatasetError, InvalidOptionError } from "../../../src/errors.js";
import { fixture, hasSharedLima, sharedLima, withTempDir } from "../data/helpers.js";

let stdout: string;
let stderr: string;

beforeEach(() => {
  stdout = "";
  stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const run = (...args: string[]) => createDataCommand().parseAsync(args, { from: "user" });

describe("iit data convert", () => {
  it("--json prints exactly one JSON object on stdout, notes go to stderr", async () => {
    await withTempDir(async (dir) => {
      const output = join(dir, "poetry.jsonl");
      await run("convert", "--format", "poetry", "--input", fixture("poetry/poetry.csv"), "--output", output, "--json");
      const result = JSON.parse(stdout);
      expect(result).toMatchObject({ format: "poetry", output, examples: 2, limit: 1000, dropInstructions: false });
      expect(stderr).toMatch(/^note: skipped 1 row/);
      expect(existsSync(output)).toBe(true);
    });
  });

  it("without --json writes nothing on stdout and a summary on stderr", async () => {
    await withTempDir(async (dir) => {
      const output = join(dir, "g.jsonl");
      await run(
        "convert",
        "--format",
        "gsm8k",
        "--input",
        fixture("gsm8k/train.jsonl"),
        "--output",
        output,
        "--limit",
        "1",
      );
      expect(stdout).toBe("");
      expect(stderr).toBe(`wrote 1 gsm8k examples to ${output}\n`);
    });
  });

  it("throws typed errors for bad options and bad data", async () => {
    await withTempDir(async (dir) => {
      const output = join(dir, "x.jsonl");
      await expect(run("convert", "--input", "a.jsonl", "--output", output)).rejects.toBeInstanceOf(InvalidOptionError);
      await expect(run("convert", "--format", "nope", "--input", "a", "--output", output)).rejects.toThrow(
        /unknown dataset format/,
      );
      await expect(run("convert", "--format", "gsm8k", "--input", fixture("gsm8k/train.jsonl"))).rejects.toThrow(
        /--output/,
      );
      await expect(
        run(
          "convert",
          "--format",
          "gsm8k",
          "--input",
          fixture("gsm8k/train.jsonl"),
          "--output",
          output,
          "--limit",
          "x",
        ),
      ).rejects.toBeInstanceOf(InvalidOptionError);
      await expect(
        run("convert", "--format", "gsm8k", "--input", fixture("gsm8k/train_bad.jsonl"), "--output", output),
      ).rejects.toBeInstanceOf(DatasetError);
      expect(existsSync(output)).toBe(false);
    });
  });

  it.skipIf(!hasSharedLima)(
    "--format messages --drop-instructions turns lima_data.jsonl into lima_no_instruction.jsonl byte for byte (needs ../shared)",
    async () => {
      await withTempDir(async (dir) => {
        const output = join(dir, "ri.jsonl");
        await run(
          "convert",
          "--format",
          "messages",
          "--input",
          join(sharedLima, "lima_data.jsonl"),
          "--output",
          output,
          "--drop-instructions",
        );
        expect(await readFile(output, "utf8")).toBe(
          await readFile(join(sharedLima, "lima_no_instruction.jsonl"), "utf8"),
        );
      });
    },
  );

  it.skipIf(!hasSharedLima)(
    "--format lima rebuilds lima_data.jsonl byte for byte from GAIR's form of the same data (needs ../shared)",
    async () => {
      await withTempDir(async (dir) => {
        const real = await readFile(join(sharedLima, "lima_data.jsonl"), "utf8");
        const gair = real
          .trim()
          .split("\n")
          .map((l) =>
            JSON.stringify({
              conversations: JSON.parse(l).messages.map((m: { content: string }) => m.content),
              source: "x",
            }),
          );
        const input = join(dir, "train.jsonl");
        await writeFile(input, gair.join("\n") + "\n");
        const output = join(dir, "lima_data.jsonl");
        await run("convert", "--format", "lima", "--input", input, "--output", output);
        expect(await readFile(output, "utf8")).toBe(real);
      });
    },
  );
});

describe("iit data stats", () => {
  it("--json prints one object with the statistics", async () => {
    await run("stats", "--input", fixture("messages/sample.jsonl"), "--json");
    const s = JSON.parse(stdout);
    expect(s).toMatchObject({ input: fixture("messages/sample.jsonl"), examples: 2, turns: 7, multiTurn: 1 });
    expect(s.user.chars.max).toBe(7);
  });

  it("prints a table without --json and uses an injected tokenizer", async () => {
    await createDataCommand({ countTokens: (t) => t.length }).parseAsync(
      ["stats", "--input", fixture("messages/sample.jsonl")],
      {
        from: "user",
      },
    );
    expect(stdout).toContain("examples     2 (1 multi-turn), 7 turns");
    expect(stdout).toMatch(/assistant\s+2\.3 \/ 1 \/ 5/);
    expect(stdout).toContain("tokens total");
  });

  it("names the line of a malformed file", async () => {
    await expect(run("stats", "--input", fixture("messages/bad_role.jsonl"))).rejects.toThrow(/bad_role\.jsonl:2:/);
  });
});
