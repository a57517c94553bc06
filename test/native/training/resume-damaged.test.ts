// Issue 25, item 8: `train --resume` on a checkpoint whose optimizer file is truncated or whose weights file
// is missing or cut is CHECKPOINT_CORRUPT naming the file, not a stack trace (real checkpoints, real CLI).
import { cpSync, existsSync, readdirSync, rmSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { train } from "../../../src/training/train.js";
import { iit } from "../../helpers/cli.js";
import { cliPath, sharedDir, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

const lima = join(sharedDir, "data", "lima", "lima_no_instruction.jsonl");
const skip =
  skipNoModel ||
  (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)") ||
  (existsSync(lima) ? false : `${lima} not found`);

describe.skipIf(skip)("train --resume on a damaged checkpoint (real processes)", () => {
  const dir = tempDir();
  const opts = {
    model: storiesModel,
    data: lima,
    mode: "response" as const,
    nCtx: 256,
    maxExamples: 4,
    epochs: 2,
    threads: 1,
  };
  const cli = [
    "train",
    "-m",
    storiesModel,
    "--data",
    lima,
    "--mode",
    "response",
    "--n-ctx",
    "256",
    "--max-examples",
    "4",
    "--epochs",
    "2",
    "-t",
    "1",
    "--resume",
  ];

  /** A checkpoint of a run stopped after its first step, copied fresh for each damage. */
  const pristine = new Map<string, string>();
  async function checkpoint(
    name: string,
    loraRank?: number,
  ): Promise<{ out: string; ckpt: string; file: (prefix: string) => string }> {
    const key = `${loraRank ?? 0}`;
    if (!pristine.has(key)) {
      const out = join(dir, `pristine-${key}.gguf`);
      const ac = new AbortController();
      await expect(
        train({ ...opts, loraRank, output: out, signal: ac.signal, onProgress: () => ac.abort() }),
      ).rejects.toMatchObject({ code: "ABORTED" });
      pristine.set(key, `${out}.ckpt`);
    }
    const out = join(dir, `${name}.gguf`);
    const ckpt = `${out}.ckpt`;
    cpSync(pristine.get(key)!, ckpt, { recursive: true });
    return { out, ckpt, file: (prefix) => join(ckpt, readdirSync(ckpt).find((f) => f.startsWith(prefix))!) };
  }
  const corrupt = (r: { code: number | null; stderr: string }, name: string) => {
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain("error [CHECKPOINT_CORRUPT]");
    expect(r.stderr).toContain(name);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
  };

  it("a truncated optimizer file (full weights and LoRA)", async () => {
    for (const rank of [undefined, 4]) {
      const c = await checkpoint(`opt-${rank ?? 0}`, rank);
      const opt = c.file("optimizer-");
      truncateSync(opt, 1000);
      corrupt(iit([...cli, ...(rank ? ["--lora-rank", String(rank)] : []), "-o", c.out]), opt.split("/").pop()!);
    }
  });

  it("a missing or truncated weights file (full weights and LoRA)", async () => {
    for (const rank of [undefined, 4]) {
      const gone = await checkpoint(`gone-${rank ?? 0}`, rank);
      const w = gone.file("weights-");
      rmSync(w);
      corrupt(iit([...cli, ...(rank ? ["--lora-rank", String(rank)] : []), "-o", gone.out]), w.split("/").pop()!);
      const cut = await checkpoint(`cut-${rank ?? 0}`, rank);
      const w2 = cut.file("weights-");
      truncateSync(w2, 50_000);
      corrupt(iit([...cli, ...(rank ? ["--lora-rank", String(rank)] : []), "-o", cut.out]), w2.split("/").pop()!);
    }
  });
});
