// Issue 25 item 10: a resume compares model paths by where they point, symlinks included.
import { existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { cliPath, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");

describe.skipIf(skip)("generate resume through a symlinked model (real processes)", () => {
  it("-m link.gguf then -m its target on the same output resumes instead of RESUME_SETTINGS_CHANGED", () => {
    const dir = tempDir();
    const link = join(dir, "link.gguf");
    symlinkSync(storiesModel, link);
    const input = join(dir, "p.jsonl");
    const out = join(dir, "out.json");
    const common = ["--template", "raw", "-n", "4", "-t", "1", "--input", input, "--output", out, "--json"];
    writeFileSync(input, JSON.stringify({ instruction: "Lily" }) + "\n");
    expect(iit(["generate", "-m", link, ...common]).code).toBe(0);
    writeFileSync(input, ["Lily", "Tom"].map((instruction) => JSON.stringify({ instruction })).join("\n") + "\n");
    const r = iit(["generate", "-m", storiesModel, ...common]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ generated: 1, skipped: 1 });
    expect(JSON.parse(readFileSync(out, "utf8"))).toHaveLength(2);
  });
});
