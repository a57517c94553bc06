// Issue 12, item 10: each of these is a typed error with a code, naming the input (no stack, no native abort).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IitError } from "../../../src/errors.js";
import { loadModel } from "../../../src/model/Model.js";
import { iit } from "../../helpers/cli.js";
import { cliPath, sharedDir, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");
const lima = join(sharedDir, "data", "lima", "lima_no_instruction.jsonl");

describe.skipIf(skip)("error quality (real processes)", () => {
  const dir = tempDir();
  const gen = ["generate", "-m", storiesModel, "--template", "raw", "-n", "4", "-t", "1"];
  const typed = (r: { code: number | null; stderr: string }, code: string, ...names: string[]) => {
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toContain(`error [${code}]`);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    for (const n of names) expect(r.stderr).toContain(n);
  };

  it("a corrupt checkpoint state.json", () => {
    const out = join(dir, "ck.gguf");
    mkdirSync(`${out}.ckpt`);
    writeFileSync(join(`${out}.ckpt`, "state.json"), '{"version": 1, "runHa');
    const r = iit([
      "train",
      "-m",
      storiesModel,
      "--data",
      lima,
      "--mode",
      "response",
      "-o",
      out,
      "--n-ctx",
      "256",
      "--max-examples",
      "2",
      "-t",
      "1",
      "--resume",
    ]);
    typed(r, "CHECKPOINT_CORRUPT", "state.json");
  });

  it("a missing output directory", () => {
    const input = join(dir, "p.jsonl");
    writeFileSync(input, '{"instruction": "Lily"}\n');
    typed(iit([...gen, "--input", input, "--output", join(dir, "nodir", "o.json")]), "OUTPUT_DIR_NOT_FOUND", "nodir");
    typed(iit(["merge", storiesModel, "-o", join(dir, "nodir", "m.json")]), "OUTPUT_DIR_NOT_FOUND", "nodir");
  });

  it("rule values past a 32-bit float, and infinite ones, name the file and field", () => {
    for (const v of ["1e39", "1e300", "1e400"]) {
      const rules = join(dir, `rules-${v}.json`);
      writeFileSync(rules, `{"eos": {"slope": ${v}}}`);
      typed(iit([...gen, "-p", "Lily", "--rules", rules]), "RULES_INVALID", rules, "eos.slope", "within");
    }
  });

  it("a directory given as -m", () => {
    typed(iit(["generate", "-m", dir, "-p", "Lily"]), "MODEL_IS_DIRECTORY", dir);
  });

  it("PROMPT_TOO_LONG counts prompts from 1", () => {
    const r = iit([...gen, "--context-size", "16", "-p", "a b c d e f g h i j k l m n o p q r s t u v w x y z"]);
    typed(r, "PROMPT_TOO_LONG", "prompt 1 ");
  });

  it("rule tokens that are not one token of the vocabulary are reported", () => {
    const rules = join(dir, "tokens.json");
    writeFileSync(rules, JSON.stringify({ tokens: { scores: [{ text: "zzqqxxyyzz", score: -1 }] } }));
    const r = iit([...gen, "-p", "Lily", "--rules", rules]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: 1 token rule.*"zzqqxxyyzz"/);
  });

  it("a failed --lora-targets leaves no OUT.ckpt/; --max-examples -1 is refused", () => {
    const out = join(dir, "lora.gguf");
    const base = [
      "train",
      "-m",
      storiesModel,
      "--data",
      lima,
      "--mode",
      "response",
      "-o",
      out,
      "--n-ctx",
      "256",
      "-t",
      "1",
    ];
    const r = iit([...base, "--max-examples", "2", "--lora-rank", "2", "--lora-targets", "no_such_weight"]);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(existsSync(`${out}.ckpt`)).toBe(false);
    typed(
      iit([...base, "--epochs", "1", "--max-examples", "-1"], { timeout: 30_000 }),
      "INVALID_OPTION",
      "max examples",
    );
  });

  it("library: loadModel() without arguments and a non-string prompt are typed errors", async () => {
    await expect((loadModel as (o?: unknown) => Promise<unknown>)()).rejects.toBeInstanceOf(IitError);
    await using m = await loadModel({ model: storiesModel, threads: 1 });
    const bad = m.generate([42 as unknown as string], { maxTokens: 2 });
    await expect(bad).rejects.toMatchObject({ code: "INVALID_OPTION", message: expect.stringContaining("prompt 1") });
  });
});
