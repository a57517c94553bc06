// Issue 25 item 14: serve options that could never work are refused before the model loads.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { cliPath, skipNoModel, storiesModel } from "../../helpers/fixtures.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");

describe.skipIf(skip)("iit serve: option ranges (real process)", () => {
  it("--max-queue below 1 is refused with INVALID_OPTION instead of a server that refuses everything", () => {
    for (const v of ["-5", "0"]) {
      const r = iit(["serve", "-m", storiesModel, "-t", "1", "--port", "0", `--max-queue=${v}`], { timeout: 20_000 });
      expect(r.code, `--max-queue ${v}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/INVALID_OPTION.*--max-queue/);
      expect(r.stderr).not.toMatch(/ on http:/);
    }
  });
});
