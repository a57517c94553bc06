// Issue 12: numbers are checked against their real range before native code; training that diverges writes nothing.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { cliPath, sharedDir, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");

describe.skipIf(skip)("numeric ranges and divergence (real processes)", () => {
  const gen = ["generate", "-m", storiesModel, "--template", "raw", "-t", "1", "-p", "Lily"];

  it("a context whose KV cache cannot fit in memory is refused at once, naming the sizes", () => {
    const t0 = Date.now();
    const r = iit([...gen, "-n", "4", "--context-size", "1000000000"], { timeout: 20_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/CONTEXT_TOO_LARGE.*GB/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it("values past 32 bits are refused instead of wrapping around", () => {
    for (const args of [
      ["--context-size", "4294967552"],
      ["-n", "2147483648"],
      ["-n", "4294967300"],
    ]) {
      const r = iit([...gen, ...args], { timeout: 20_000 });
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).not.toBe(0);
      expect(r.stderr).toMatch(/INVALID_OPTION|CONTEXT_TOO_LARGE/);
    }
  });

  it("train --lr 1e30 stops with TRAINING_DIVERGED and writes no output model", () => {
    const dir = tempDir();
    const output = join(dir, "diverged.gguf");
    const lima = join(sharedDir, "data", "lima", "lima_no_instruction.jsonl");
    const r = iit([
      "train",
      "-m",
      storiesModel,
      "--data",
      lima,
      "--mode",
      "instruction",
      "-o",
      output,
      "--epochs",
      "1",
      "--lr",
      "1e30",
      "--n-ctx",
      "256",
      "--max-examples",
      "4",
      "-t",
      "1",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TRAINING_DIVERGED.*loss is (NaN|-?Infinity)/);
    expect(existsSync(output)).toBe(false);
    expect(existsSync(`${output}.train.json`)).toBe(false);
  });
});
