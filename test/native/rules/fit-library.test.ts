// fitRules() from the library on stories260K (1 thread): a constructed scorer whose optimum is known,
// a scorer that fails, and the judge scorer end to end against `iit serve` on loopback.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IitError } from "../../../src/errors.js";
import { loadModel } from "../../../src/model/Model.js";
import { fitRules } from "../../../src/rules/fit/fitRules.js";
import type { RuleScorer } from "../../../src/rules/fit/scorers.js";
import { parseRuleSpec } from "../../../src/rules/loadRules.js";
import { iit } from "../../helpers/cli.js";
import { cliPath, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";
import { startServe, type ServeProcess } from "../serve/proc.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");
const PROMPTS = ["Once upon a time", "The little dog", "Lily went to the park", "Tom had a red ball", "The sun was"];

describe.skipIf(skip)("fitRules() on stories260K", () => {
  const dir = tempDir("iit-fit-lib-");

  it("finds the known optimum: a scorer that rewards answers without the base's favourite token gets that token vetoed", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    const base = await model.generate(PROMPTS, { template: "raw", maxTokens: 24, parallel: 5 });
    // The token the base writes in most answers: the rules can forbid it, and nothing else scores.
    const counts = new Map<number, number>();
    for (const r of base) for (const t of new Set(r.tokens)) counts.set(t, (counts.get(t) ?? 0) + 1);
    const [favourite] = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
    const text = model.detokenize([favourite]);
    const scorer: RuleScorer = {
      id: `without-${favourite}`,
      prompts: PROMPTS,
      score: async (outs) => ({
        score: outs.filter((o) => !o.tokens.includes(favourite)).length / outs.length,
        tiebreak: 0,
      }),
    };
    const r = await fitRules({
      model,
      scorer,
      template: "raw",
      maxTokens: 24,
      parallel: 5,
      maxEvals: 20,
      candidates: [text, " and"],
      onlyCandidates: true,
      cache: null,
    });
    expect(r.base.score).toBeLessThan(1);
    expect(r.score.score).toBe(1);
    const scores = parseRuleSpec(r.spec).tokens.scores;
    expect(scores.find((s) => s.text === text)!.score).toBeLessThan(0);
    expect(r.candidates.map((c) => c.source)).toEqual(["--candidates", "--candidates"]);
  }, 300_000);

  it("a scorer that throws is a typed error naming it; evaluations before it stay cached", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    let calls = 0;
    const scorer: RuleScorer = {
      id: "flaky",
      prompts: PROMPTS.slice(0, 2),
      score: async () => {
        if (++calls > 1) throw new Error("the grader crashed");
        return { score: 0, tiebreak: 0 };
      },
    };
    const cache = join(dir, "flaky.cache.jsonl");
    const err = await fitRules({ model, scorer, template: "raw", maxTokens: 8, maxEvals: 5, cache }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IitError);
    expect((err as IitError).code).toBe("FIT_SCORER_FAILED");
    expect((err as IitError).message).toContain("flaky");
    expect((err as IitError).message).toContain("the grader crashed");
    expect(readFileSync(cache, "utf8").trim().split("\n")).toHaveLength(1);
    const nan: RuleScorer = {
      id: "nan",
      prompts: PROMPTS.slice(0, 1),
      score: async () => ({ score: NaN, tiebreak: 0 }),
    };
    await expect(fitRules({ model, scorer: nan, template: "raw", maxTokens: 4, cache: null })).rejects.toMatchObject({
      code: "FIT_SCORER_FAILED",
    });
  }, 300_000);
});

describe.skipIf(skip)("iit rules fit --scorer judge against `iit serve` (pipeline check)", () => {
  const dir = tempDir("iit-fit-judge-");
  let s: ServeProcess;
  beforeAll(async () => {
    s = await startServe(["-m", storiesModel, "-t", "1"]);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("runs end to end and writes a valid rule file whose dev score is at least the empty rule file's", () => {
    const dev = join(dir, "dev.jsonl");
    writeFileSync(dev, PROMPTS.map((p) => JSON.stringify({ instruction: p })).join("\n") + "\n");
    const out = join(dir, "judged.json");
    const r = iit(
      [
        "rules",
        "fit",
        "-m",
        storiesModel,
        "--dev",
        dev,
        "--scorer",
        "judge",
        "--judge",
        `openai:${s.url}`,
        "--judge-model",
        "stories260K",
      ].concat(["-o", out, "-n", "16", "--max-evals", "40", "--max-candidates", "3", "-t", "1", "--json"]),
      { timeout: 600_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const summary = r.json();
    expect(summary.base.score).toBe(50); // the base against itself: every pair identical, a tie
    expect(summary.score.score).toBeGreaterThanOrEqual(summary.base.score);
    expect(summary.evals).toBeLessThanOrEqual(40);
    // Tokens were looked for after the EOS and repetition sweeps, in the answers the judge preferred less.
    const spec0 = JSON.parse(readFileSync(out, "utf8"));
    expect(spec0.description).toMatch(/Candidate tokens: "/);
    // The judge was asked: rule specs that changed an answer were judged against the base's.
    expect(readFileSync(`${out}.judge-cache.jsonl`, "utf8").split("\n").filter(Boolean).length).toBeGreaterThan(0);
    const spec = parseRuleSpec(JSON.parse(readFileSync(out, "utf8")), out);
    expect(spec.description).toContain("scorer judge:");
  }, 600_000);
});
