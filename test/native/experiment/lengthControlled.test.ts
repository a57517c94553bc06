// evaluation.lengthControlled: a real (tiny) experiment run, its tables and its report.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAnnotations } from "../../../src/eval/annotations.js";
import { lengthControlledWinRate } from "../../../src/eval/lengthControlled.js";
import { iit } from "../../helpers/cli.js";
import { cliPath, repoRoot, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");
// A synthetic df_gamed of 120 instructions (test/fixtures/lc): enough for the 8 micro instructions.
const lcData = join(repoRoot, "test", "fixtures", "lc", "data-g120");

function config(dir: string): string {
  const p = join(dir, "exp.json");
  writeFileSync(
    p,
    JSON.stringify({
      name: "lc-check",
      baseModel: storiesModel,
      output: "out",
      seeds: [1],
      threads: 1,
      generation: { maxTokens: 24, parallel: 4 },
      arms: [{ type: "base" }, { name: "rules", type: "rules:hewitt2024" }],
      evaluation: {
        instructions: join(repoRoot, "examples", "micro-instructions.jsonl"),
        reference: "base",
        judge: storiesModel,
        bothOrders: false,
        lengthControlled: true,
      },
    }),
  );
  return p;
}

describe.skipIf(skip)("an experiment with evaluation.lengthControlled (real processes)", () => {
  const dir = tempDir("iit-lc-exp-");
  const out = join(dir, "out");
  const saved = process.env.IIT_DATA_DIR;
  let run: ReturnType<typeof iit>;

  beforeAll(() => {
    process.env.IIT_DATA_DIR = lcData; // the child processes inherit it
    run = iit(["experiment", "run", config(dir), "--json"], { timeout: 300_000 });
  }, 300_000);
  afterAll(() => {
    if (saved === undefined) delete process.env.IIT_DATA_DIR;
    else process.env.IIT_DATA_DIR = saved;
  });

  it("puts the LC rate beside the raw one in results.json, .md and .csv, as computed from the judge's annotations", async () => {
    expect(run.code, run.stderr).toBe(0);
    const row = run.json().results.table.rows.find((r: { arm: string }) => r.arm === "rules");
    const judgeDir = readdirSync(join(out, "steps", "rules", "s1")).find((d) => d.startsWith("judge-"))!;
    const direct = await lengthControlledWinRate(
      await readAnnotations(join(out, "steps", "rules", "s1", judgeDir, "annotations.json")),
      {
        dataDir: lcData,
      },
    );
    expect(row.lc_win_rate_mean).toBeCloseTo(direct.length_controlled_winrate, 10);
    expect(row.per_seed[0].length_controlled_winrate).toBeCloseTo(direct.length_controlled_winrate, 10);
    expect(row.win_rate_mean).toBeCloseTo(direct.win_rate, 10);
    const md = readFileSync(join(out, "results.md"), "utf8");
    expect(md).toContain("| LC win rate (%) | LC SE |");
    expect(md).toContain(`| ${direct.length_controlled_winrate.toFixed(1)} |`);
    expect(readFileSync(join(out, "results.csv"), "utf8").split("\n")[0]).toMatch(
      /,lc_win_rate_mean,lc_win_rate_std,lc_standard_error_mean$/,
    );
  });

  it("the report shows the LC column and its chart", () => {
    const r = iit(["report", out]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toContain("<th>LC win rate (%)</th>");
    expect(html).toContain("Length-controlled win rate against base");
    expect(existsSync(join(out, "plots", "lcWinrate.svg"))).toBe(true);
  });

  it("without alpaca-eval-lc: --dry-run marks it, and the run stops before any step naming `iit data get alpaca-eval-lc`", () => {
    const empty = tempDir("iit-lc-nodata-");
    process.env.IIT_DATA_DIR = empty;
    const other = tempDir("iit-lc-exp2-");
    const dry = iit(["experiment", "run", config(other), "--dry-run"]);
    const r = iit(["experiment", "run", config(other)]);
    process.env.IIT_DATA_DIR = lcData;
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`MISSING: alpaca-eval-lc=${join(empty, "alpaca_eval", "df_gamed.csv")}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^iit: error \[EXPERIMENT_INPUT_MISSING\]: .*alpaca_eval\/df_gamed\.csv \(aggregate alpaca-eval-lc\)/,
    );
    expect(r.stderr).toContain("`iit data get alpaca-eval-lc` downloads");
    expect(existsSync(join(other, "out", "steps"))).toBe(false);
  });
});
