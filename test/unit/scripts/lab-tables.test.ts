// scripts/lab-tables.mjs: the lab's table and verdicts are copied from results.md, never typed.
import { describe, expect, it } from "vitest";
import { replaceBlocks, sections, worldsBlocks } from "../../../scripts/lab-tables.mjs";

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
