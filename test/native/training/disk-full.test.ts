// Issue 25, item 1: training on a full disk (a real 4 MB tmpfs, or a file-size limit) stops with DISK_FULL
// naming the file; no truncated model is left as the output and no partial checkpoint file stays behind.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliPath, sharedDir, skipNoModel, storiesModel } from "../../helpers/fixtures.js";
import { smallDisk, type SmallDisk } from "../../helpers/smallDisk.js";

const lima = join(sharedDir, "data", "lima", "lima_no_instruction.jsonl");
const disk = smallDisk(4096);
const skip =
  skipNoModel ||
  (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)") ||
  (typeof disk === "string" ? disk : false);

describe.skipIf(skip)("train on a full disk (real processes, small disk)", () => {
  const d = disk as SmallDisk;
  afterAll(() => d.dispose());
  const train = [
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
    "-t",
    "1",
  ];
  const typedFull = (r: { code: number | null; stderr: string }, file: string) => {
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain("error [DISK_FULL]");
    expect(r.stderr).toContain(file);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at |\.tmp/);
  };
  const leftovers = () =>
    readdirSync(d.dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".tmp"));

  it("full weights: the model (1.2 MB) does not fit; no output is left, and the error says so", () => {
    d.unlimit();
    const out = join(d.dir, "full.gguf");
    d.limit(600_000);
    typedFull(d.iit([...train, "--epochs", "1", "-o", out]), out);
    expect(existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it("LoRA: a checkpoint that does not fit leaves no partial files and no state naming them", () => {
    d.unlimit();
    const out = join(d.dir, "lora.gguf");
    // The fresh adapter (97 KB) and the checkpoint's weights (97 KB) fit, its optimizer state (196 KB) does not:
    // 250 KB in all on the tmpfs, 150 KB per file under a file-size limit.
    d.limit(d.mode === "tmpfs" ? 250_000 : 150_000);
    const r = d.iit([...train, "--epochs", "2", "--lora-rank", "4", "-o", out]);
    typedFull(r, `${out}.ckpt`);
    expect(existsSync(out)).toBe(false);
    const ckpt = `${out}.ckpt`;
    const files = existsSync(ckpt) ? readdirSync(ckpt) : [];
    expect(files.filter((f) => /^(weights|optimizer)-/.test(f) || f === "state.json")).toEqual([]);
    expect(leftovers()).toEqual([]);
  });
});
