// The exit codes README.md documents: 0 done, 1 failed, 2 the command line is wrong, 130 interrupted.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { cliPath } from "../../helpers/fixtures.js";

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
