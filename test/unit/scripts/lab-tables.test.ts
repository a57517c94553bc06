// scripts/lab-tables.mjs: the lab's table and verdicts are copied from results.md, never typed.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fittedFile, replaceBlocks, sections, worldsBlocks } from "../../../scripts/lab-tables.mjs";

const results = [
  "## lab",
  "",
  "| Arm | Type | Strict |",
  "| --- | --- | --- |",
  "| rules | rules | 0.65 |",
  "",
  "Mean ± sample std over seeds.",
  "",
  "#### Findings",
  "",
  "- **rules: reproduced** — 0.95×",
  "- **single-task: not reproduced** — 0.11×",
  "",
  "trailing text",
].join("\n");

describe("lab-tables", () => {
  it("takes the table and the findings from results.md", () => {
    const s = sections(results)!;
    expect(s.summary).toBe(
      "| Arm | Type | Strict |\n| --- | --- | --- |\n| rules | rules | 0.65 |\n\n- **rules: reproduced** — 0.95×\n- **single-task: not reproduced** — 0.11×",
    );
    expect(s.full.startsWith("| Arm |")).toBe(true);
    expect(s.full).toContain("Mean ± sample std over seeds.");
    expect(s.full.endsWith("— 0.11×")).toBe(true);
    expect(sections("no table here")).toBeNull();
  });

  it("replaces only what lies between a block's markers, and refuses a broken pair", () => {
    const doc = "before\n<!-- BEGIN lab-tables:summary -->\nold table\n<!-- END lab-tables:summary -->\nafter\n";
    const out = replaceBlocks(doc, { summary: "NEW", full: "unused" }, "README.md");
    expect(out).toBe("before\n<!-- BEGIN lab-tables:summary -->\nNEW\n<!-- END lab-tables:summary -->\nafter\n");
    expect(replaceBlocks(out, { summary: "NEW" }, "README.md")).toBe(out);
    expect(() =>
      replaceBlocks(
        "<!-- END lab-tables:summary -->\n<!-- BEGIN lab-tables:summary -->",
        { summary: "x" },
        "README.md",
      ),
    ).toThrow(/not a begin…end pair/);
  });

  it("takes the multi-world summary line and tables from the bench's markdown", () => {
    const md =
      "Findings reproduced on worlds 1, 2 (`iit bench lab --worlds 1-2`): rules 1 of 2.\n\n| Finding | World 1 |\n| --- | --- |\n";
    expect(worldsBlocks(md)).toEqual({
      "worlds-summary": "Findings reproduced on worlds 1, 2 (`iit bench lab --worlds 1-2`): rules 1 of 2.",
      worlds: md.trimEnd(),
    });
    expect(worldsBlocks("| Arm |")).toBeNull();
    const rules = "| World | rules (fitted on dev): eval strict |\n| --- | --- |\n| 1 | 0.61 |";
    const withRules = `${md}\n${rules}\n\n| World | pretrain (s) |\n`;
    expect((worldsBlocks(withRules) as Record<string, string>)["worlds-rules"]).toBe(rules);
  });
});

describe("lab-tables --fitted", () => {
  it("copies the fit the rules arm used, not the newest fit step in the run", () => {
    const run = mkdtempSync(join(tmpdir(), "iit-lab-tables-"));
    const step = (dir: string, manifest: object, files: Record<string, string> = {}) => {
      mkdirSync(join(run, dir), { recursive: true });
      writeFileSync(join(run, dir, "step.json"), JSON.stringify(manifest));
      for (const [f, text] of Object.entries(files)) writeFileSync(join(run, dir, f), text);
    };
    const fit = (finished: string) => ({ finished, inputs: { slice: { world: 1 } }, outputs: { rules: "rules.json" } });
    step("steps/lab/fit-rules-aaaaaaaaaaaa", fit("2026-12-06T20:12:00.000Z"), { "rules.json": "used" });
    step("steps/lab/fit-rules-bbbbbbbbbbbb", fit("2026-12-06T20:14:00.000Z"), { "rules.json": "newer, unused" });
    step("steps/rules/generate-cccccccccccc", { inputs: { deps: { rules: "lab/fit-rules@aaaaaaaaaaaa" } } });
    writeFileSync(
      join(run, "results.json"),
      JSON.stringify({
        generations: { rules: [{ seed: null, path: "steps/rules/generate-cccccccccccc/outputs.json" }] },
      }),
    );
    expect(fittedFile(run)).toBe(join(run, "steps/lab/fit-rules-aaaaaaaaaaaa", "rules.json"));
  });
});
