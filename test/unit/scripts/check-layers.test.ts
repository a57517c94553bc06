// scripts/check-layers.mjs: every import in src/ points down the layer table, and no two folders import each other.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkLayers, folderOf } from "../../../scripts/check-layers.mjs";

const script = join(import.meta.dirname, "..", "..", "..", "scripts", "check-layers.mjs");
const run = (srcDir?: string) =>
  spawnSync(process.execPath, [script, ...(srcDir ? [srcDir] : [])], { encoding: "utf8" });

let tmp: string | undefined;
/** A src tree made of `files` (path → text) in a temp directory. */
function tree(files: Record<string, string>): string {
  tmp = mkdtempSync(join(tmpdir(), "iit-layers-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(tmp, path)), { recursive: true });
    writeFileSync(join(tmp, path), text);
  }
  return tmp;
}
afterEach(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

describe("check-layers", () => {
  it("passes on this repository's src", () => {
    const r = run();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("fails on an import from a lower layer to a higher one", () => {
    const src = tree({
      "util/a.ts": 'import { m } from "../model/Model.js";\nexport const a = m;\n',
      "model/Model.ts": "export const m = 1;\n",
    });
    const r = run(src);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("util/a.ts -> model/Model.ts: util imports model, a higher layer");
  });

  it("fails on two folders of one layer that import each other, also through import() types", () => {
    const src = tree({
      "eval/x.ts": 'import type { Y } from "../rules/fit/y.js";\nexport type X = Y;\n',
      "rules/fit/y.ts": 'export type Y = import("../../eval/x.js").X;\n',
    });
    expect(checkLayers(src)).toEqual([
      "loop between folders: eval, rules/fit (eval/x.ts -> rules/fit/y.ts; rules/fit/y.ts -> eval/x.ts)",
    ]);
  });

  it("passes imports that point down or stay in a folder, and names a folder outside the table", () => {
    const src = tree({
      "cli/main.ts": 'import { a } from "../util/a.js";\nimport { b } from "./b.js";\nexport { a, b };\n',
      "cli/b.ts": "export const b = 1;\n",
      "util/a.ts": "export const a = 1;\n",
    });
    expect(checkLayers(src)).toEqual([]);
    expect(folderOf("rules/fit/search.ts")).toBe("rules/fit");
    expect(folderOf("rules/spec.ts")).toBe("rules");
    expect(folderOf("nowhere/x.ts")).toBeUndefined();
  });
});
