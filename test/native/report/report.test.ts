// iit experiment run (real process, untrained arms), iit report, and the report opened in Chromium.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { openInChromium, skipNoChromium } from "../../helpers/browser.js";
import { cliPath, repoRoot, sharedDir, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

const lima = join(sharedDir, "data", "lima", "lima_data.jsonl");
const skip =
  skipNoModel ||
  (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)") ||
  (existsSync(lima) ? false : "../shared/data/lima absent");

function config(dir: string, arms: unknown[], reference: string) {
  const p = join(dir, "exp.json");
  writeFileSync(
    p,
    JSON.stringify({
      name: "report-check",
      description: "Untrained arms only, for the report test.",
      baseModel: storiesModel,
      output: "out",
      seeds: [1, 2],
      threads: 1,
      generation: { maxTokens: 24, parallel: 4 },
      arms,
      evaluation: {
        instructions: join(repoRoot, "examples", "micro-instructions.jsonl"),
        reference,
        judge: storiesModel,
        bothOrders: false,
      },
    }),
  );
  return p;
}

describe.skipIf(skip)("iit experiment run → iit report (real processes)", () => {
  const dir = tempDir("iit-report-");
  const out = join(dir, "out");
  const arms = ["base", "rules", "rules-no-eos", "sampled"];
  let run: ReturnType<typeof iit>;

  beforeAll(() => {
    const cfg = config(
      dir,
      [
        { type: "base" },
        { name: "rules", type: "rules:hewitt2024" },
        { name: "rules-no-eos", type: "rules:hewitt2024", disable: ["eos"] },
        { name: "sampled", type: "base", generation: { temperature: 0.8, topK: 40 } },
      ],
      "base",
    );
    run = iit(["experiment", "run", cfg, "--json"], { timeout: 300_000 });
  }, 300_000);

  it("runs, prints one JSON object, and writes the table", () => {
    expect(run.code, run.stderr).toBe(0);
    const j = run.json();
    expect(j.aborted).toBe(false);
    // A sampled arm generates once per seed; greedy arms once.
    expect(j.executed).toEqual(
      expect.arrayContaining([
        "base/generate",
        "rules/generate",
        "rules-no-eos/generate",
        "sampled/s1/generate",
        "sampled/s2/generate",
        "sampled/s2/judge",
        "aggregate",
      ]),
    );
    expect(j.results.table.rows.map((r: { arm: string }) => r.arm)).toEqual(arms);
    expect(readFileSync(join(out, "results.md"), "utf8")).toContain("| base | base | (reference) |");
  });

  it("builds a self-contained report that renders in Chromium without errors and shows every arm", async (ctx) => {
    if (skipNoChromium) return ctx.skip(skipNoChromium);
    const gen = JSON.parse(readFileSync(join(out, "results.json"), "utf8")).generations.rules[0].path;
    const sim = iit([
      "analyze",
      "similarity",
      "--embedder",
      storiesModel,
      "--outputs",
      join(out, gen),
      "--task-data",
      lima,
      "--general-data",
      lima,
      "--max-examples",
      "20",
      "-t",
      "1",
      "-o",
      join(out, "analyses", "similarity-rules.json"),
      "--json",
    ]);
    expect(sim.code, sim.stderr).toBe(0);
    const r = iit(["report", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const j = r.json();
    expect(j.arms).toEqual(arms);
    expect(j.plots.map((p: string) => p.split("/").pop())).toEqual(["winrate.svg", "lengths.svg", "similarity.svg"]);
    for (const p of j.plots)
      expect(readFileSync(p, "utf8")).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\n$/);
    const html = readFileSync(j.html, "utf8");
    expect(html).not.toMatch(/<script|<link|src="http|href="http|@import/i);

    const shots = tempDir("iit-report-shot-");
    const page = await openInChromium(j.html, shots);
    expect(page.consoleErrors).toEqual([]);
    expect(page.requests).toEqual([`file://${j.html}`]); // nothing fetched: no network at view time
    for (const arm of arms) expect(page.text).toContain(arm);
    expect(page.text).toContain("Win rate vs base (%)");
    expect(page.text).toContain("Similarity to the task");
    expect(statSync(page.screenshot).size).toBeGreaterThan(20_000);
  });

  it("a re-run through the CLI is a no-op", () => {
    const r = iit(["experiment", "run", join(dir, "exp.json"), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().executed).toEqual([]);
  });

  it("a trained arm with malformed data fails with the file and line, and nothing else runs (exit 1)", () => {
    const d = tempDir("iit-baddata-");
    const bad = join(d, "bad.jsonl");
    writeFileSync(bad, '{"id": "a", "messages": [\n');
    const cfg = config(d, [{ type: "instruction-tuned", data: { path: bad } }, { type: "base" }], "instruction-tuned");
    const r = iit(["experiment", "run", cfg]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error [DATA_MALFORMED]: step instruction-tuned/convert: ${bad}:1: not valid JSON`);
  });

  it("--keep-going runs what it can around failed steps, aggregates what finished, and exits 1", () => {
    const d = tempDir("iit-keepgoing-");
    const bad = join(d, "bad.jsonl");
    writeFileSync(bad, '{"id": "a", "messages": [\n');
    const cfg = config(
      d,
      [{ type: "instruction-tuned", data: { path: bad } }, { type: "base" }, { type: "rules" }],
      "base",
    );
    const r = iit(["experiment", "run", cfg, "--keep-going"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("✗ instruction-tuned/convert: [DATA_MALFORMED]");
    expect(r.stderr).toContain("- instruction-tuned/s1/train skipped (needs instruction-tuned/convert)");
    expect(r.stderr).toContain("- instruction-tuned/s2/judge skipped (needs instruction-tuned/s2/generate)");
    expect(r.stderr).toMatch(/✓ rules\/s2\/judge in /);
    expect(r.stdout).toMatch(/\| rules \| rules:hewitt2024 \| \d+\.\d ± \d+\.\d\d \|/);
    expect(r.stdout).toContain("| instruction-tuned | instruction-tuned | – | – | – | 0 (2 missing) |");
  });
});
