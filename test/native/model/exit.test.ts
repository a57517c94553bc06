// Issue 12, item 9: process.exit() during a generation returns promptly (native loops see the exit).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { repoRoot, skipNoModel, storiesModel } from "../../helpers/fixtures.js";

const lib = join(repoRoot, "dist", "index.js");
const skip = skipNoModel || (existsSync(lib) ? false : "library not built (npm run build:ts)");

describe.skipIf(skip)("process exit stops native work", () => {
  it("process.exit() 300 ms into a long generation exits within a second", async () => {
    const script = `
      import { loadModel } from ${JSON.stringify(pathToFileURL(lib).href)};
      const m = await loadModel({ model: ${JSON.stringify(storiesModel)}, threads: 1 });
      const run = m.generate(["Once upon a time", "Lily", "Tom had a dog", "The sun"], { maxTokens: 2000, ignoreEos: true, parallel: 4, contextSize: 2048 });
      setTimeout(() => { process.stdout.write(String(Date.now())); process.exit(0); }, 300);
      await run;
      process.stdout.write("finished");`;
    const c = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: repoRoot });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    const closed = await new Promise<number>((r) => c.on("close", () => r(Date.now())));
    expect(out).toMatch(/^\d+$/); // it exited mid-generation
    expect(closed - Number(out)).toBeLessThan(1000);
  });
});
