// The exit codes README.md documents: 0 done, 1 failed, 2 the command line is wrong, 130 interrupted.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { cliPath, sharedDir, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";
import { iitAsync } from "../serve/proc.js";

describe.skipIf(!existsSync(cliPath))("CLI exit codes", () => {
  it("help and version exit 0", () => {
    expect(iit(["--help"]).code).toBe(0);
    expect(iit(["--version"]).code).toBe(0);
  });

  it("a wrong command line exits 2, whether commander or our option checks find it", () => {
    expect(iit(["generate", "-m", "x.gguf", "-p", "hi", "--no-such-option"]).code).toBe(2);
    expect(iit(["generate", "-p", "hi"]).code).toBe(2); // the required --model is missing
    expect(iit(["no-such-command"]).code).toBe(2);
    expect(iit(["generate", "-m", "x.gguf", "-p", "hi", "--top-p", "abc"]).code).toBe(2);
  });

  it("a failure on valid options exits 1 with the error's code", () => {
    const r = iit(["winrate", "--annotations", "/nonexistent/annotations.json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^iit: error \[[A-Z_]+\]/m);
  });
});

describe.skipIf(skipNoModel)("CLI exit codes with a model", () => {
  it("train interrupted by SIGINT saves its checkpoint and exits 130, like generate and judge", async () => {
    const out = join(tempDir(), "rt.gguf");
    const lima = join(sharedDir, "data", "lima", "lima_no_instruction.jsonl");
    const r = await iitAsync(
      [
        "train",
        "-m",
        storiesModel,
        "--data",
        lima,
        "--mode",
        "response",
        "-o",
        out,
        "--epochs",
        "200",
        "--lr",
        "1e-4",
        "--n-ctx",
        "256",
        "--max-examples",
        "8",
        "-t",
        "1",
      ],
      {
        onSpawn: (c) => {
          const t0 = Date.now();
          const t = setInterval(() => {
            if (existsSync(`${out}.ckpt`) || Date.now() - t0 > 60_000) {
              clearInterval(t);
              c.kill("SIGINT");
            }
          }, 20);
        },
      },
    );
    expect(r.stderr).toMatch(/ABORTED.*--resume/);
    expect(r.code).toBe(130);
    expect(existsSync(`${out}.ckpt`)).toBe(true);
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});
