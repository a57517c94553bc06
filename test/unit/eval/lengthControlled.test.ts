import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DatasetError, IitError } from "../../../src/errors.js";
import { parse } from "csv-parse/sync";
import { readAnnotations, type Annotation } from "../../../src/eval/annotations.js";
import { gamedDataPath, parseGamedData } from "../../../src/eval/glm/gamedData.js";
import { argsortEqualKeys, groupKFoldEqualSizes } from "../../../src/eval/glm/groupKFold.js";
import { Mt19937 } from "../../../src/eval/glm/mt19937.js";
import {
  computeLengthControlled,
  isExtremeChange,
  lengthControlledWinRate,
} from "../../../src/eval/lengthControlled.js";
import { iit } from "../../helpers/cli.js";
import { tempDir } from "../../helpers/fixtures.js";

const fixturesDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../fixtures/lc");

/** A fixture of scripts/lc-reference/make_fixtures.py: synthetic rows and what AlpacaEval's own code computed. */
export interface LcFixture {
  name: string;
  gamed: string;
  generator_1: string;
  generator_2: string;
  pattern: string;
  rows: { len_1: number; len_2: number; preference: number | null }[];
  expected: {
    win_rate: number;
    length_controlled_winrate: number;
    lc_standard_error: number;
    weights?: Record<string, number>;
    C?: number;
    cv_scores?: number[];
  };
}

export function loadFixture(name: string): LcFixture {
  return JSON.parse(readFileSync(join(fixturesDir, `${name}.json`), "utf8")) as LcFixture;
}

/** The same text the script built: the pattern repeated, cut to n code points. */
function textOfLength(pattern: string, n: number): string {
  return Array.from(pattern.repeat(Math.ceil(n / Array.from(pattern).length) + 1))
    .slice(0, n)
    .join("");
}

export function fixtureAnnotations(f: LcFixture): Annotation[] {
  return f.rows.map((r, j) => ({
    instruction: `instruction ${j}`,
    output_1: textOfLength(f.pattern, r.len_1),
    generator_1: f.generator_1,
    output_2: textOfLength(f.pattern, r.len_2),
    generator_2: f.generator_2,
    annotator: "synthetic",
    preference: r.preference,
  }));
}

/** The data folder of a fixture: `<it>/alpaca-eval-lc/df_gamed.csv`, as `iit data get alpaca-eval-lc` lays it out. */
export function fixtureDataDir(f: LcFixture): string {
  return join(fixturesDir, `data-${f.gamed}`);
}

const names = readdirSync(fixturesDir)
  .filter((n) => n.endsWith(".json"))
  .map((n) => n.slice(0, -5));

describe("length-controlled win rate against AlpacaEval's own glm_winrate.py (test/fixtures/lc)", () => {
  it("has the fixtures", () => expect(names.length).toBeGreaterThanOrEqual(8));

  it.each(names)("%s: within 0.01 points of AlpacaEval", (name) => {
    const f = loadFixture(name);
    const file = gamedDataPath(fixtureDataDir(f));
    const gamed = parseGamedData(readFileSync(file, "utf8"), file);
    const got = computeLengthControlled(fixtureAnnotations(f), gamed);
    expect(Math.abs(got.length_controlled_winrate - f.expected.length_controlled_winrate)).toBeLessThan(0.01);
    expect(Math.abs(got.lc_standard_error - f.expected.lc_standard_error)).toBeLessThan(0.01);
    if (f.expected.C === undefined) {
      expect(got.lc_C).toBeNull();
    } else {
      // liblinear's iterations are reproduced, not just its optimum: same C, same coefficients.
      expect(got.lc_C).toBeCloseTo(f.expected.C, 9);
      const w = Object.values(f.expected.weights!);
      expect(Math.abs(got.lc_weights.length - w[0])).toBeLessThan(1e-9);
      expect(Math.abs(got.lc_weights.instruction_difficulty - w[1])).toBeLessThan(1e-9);
      expect(Math.abs(got.lc_weights.not_gamed_baseline - w[2])).toBeLessThan(1e-9);
      for (const [i, s] of got.cv_scores.entries()) expect(Math.abs(s - f.expected.cv_scores![i])).toBeLessThan(1e-9);
    }
  });
});

describe("the pieces that must match numpy and scikit-learn", () => {
  it("argsort of equal keys is numpy 1.24's introsort order", () => {
    expect(argsortEqualKeys(16)).toEqual([...Array(16).keys()]);
    expect(argsortEqualKeys(17)).toEqual([0, 14, 13, 12, 11, 10, 9, 15, 8, 6, 5, 4, 3, 2, 1, 7, 16]);
    expect(argsortEqualKeys(33).reverse()).toEqual([32, 15, ...range(1, 15), 16, 31, ...range(17, 31), 0]);
  });
  it("GroupKFold deals the argsort order round-robin into 5 folds of equal size", () => {
    const fold = groupKFoldEqualSizes(2415, 5);
    expect([0, 1, 2, 3, 4].map((f) => fold.filter((v) => v === f).length)).toEqual([483, 483, 483, 483, 483]);
  });
  it("mt19937 is std::mt19937 (the C++ standard's 10000th output for the default seed)", () => {
    const mt = new Mt19937(5489);
    expect(mt.next()).toBe(3499211612);
    for (let i = 2; i < 10000; i++) mt.next();
    expect(mt.next()).toBe(4123659995);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe("inputs the GLM cannot use give typed errors", () => {
  const f = loadFixture("small40");
  const annotations = fixtureAnnotations(f);
  const gamed = () => parseGamedData(readFileSync(gamedDataPath(fixtureDataDir(f)), "utf8"), "df_gamed.csv");
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(IitError);
      return (e as IitError).code;
    }
    return "no error";
  };

  it("a missing alpaca-eval-lc says `iit data get alpaca-eval-lc`", async () => {
    const dir = tempDir("iit-lc-empty-");
    const err = await lengthControlledWinRate(annotations, { dataDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err).toMatchObject({ code: "LC_DATA_MISSING" });
    expect((err as DatasetError).message).toContain(join(dir, "alpaca_eval", "df_gamed.csv"));
    expect((err as DatasetError).suggestion).toContain("iit data get alpaca-eval-lc");
  });
  it("IIT_DATA_DIR is read when no dataDir is given", async () => {
    const saved = process.env.IIT_DATA_DIR;
    process.env.IIT_DATA_DIR = fixtureDataDir(f);
    try {
      const got = await lengthControlledWinRate(annotations);
      expect(Math.abs(got.length_controlled_winrate - f.expected.length_controlled_winrate)).toBeLessThan(0.01);
      expect(got.win_rate).toBeCloseTo(f.expected.win_rate, 9);
    } finally {
      if (saved === undefined) delete process.env.IIT_DATA_DIR;
      else process.env.IIT_DATA_DIR = saved;
    }
  });
  it("a df_gamed.csv without its columns, or with a bad number, names the file and row", () => {
    expect(code(() => parseGamedData("model,index,preference\nx,0,0.5\n", "g.csv"))).toBe("LC_DATA_MALFORMED");
    const text = readFileSync(gamedDataPath(fixtureDataDir(f)), "utf8").replace(/\n([^,]+),3,/, "\n$1,3,oops,");
    expect(() => parseGamedData(text.replace(/oops,[^,]+,/, "oops,"), "g.csv")).toThrow(/g\.csv: row \d+/);
  });
  it("two models in one file", () => {
    const mixed = annotations.map((a, i) => ({ ...a, generator_2: i % 2 ? "x" : "y" }));
    expect(code(() => computeLengthControlled(mixed, gamed()))).toBe("LC_NOT_COMPUTABLE");
  });
  it("more rows than df_gamed has instructions", () => {
    const many = Array.from({ length: 121 }, (_, i) => ({ ...annotations[i % 40] }));
    expect(() => computeLengthControlled(many, gamed())).toThrow(/row 120 has no instruction difficulty/);
  });
  it("length differences that do not vary, or no judged row", () => {
    const same = annotations.map((a) => ({ ...a, output_1: "ab", output_2: "a" }));
    expect(code(() => computeLengthControlled(same, gamed()))).toBe("LC_NOT_COMPUTABLE");
    const unjudged = annotations.map((a) => ({ ...a, preference: null }));
    expect(code(() => computeLengthControlled(unjudged, gamed()))).toBe("LC_NOT_COMPUTABLE");
  });
});

describe("iit winrate --length-controlled (the built CLI, a real process)", () => {
  const f = loadFixture("ties805");
  const dir = tempDir("iit-lc-cli-");
  const file = join(dir, "annotations.json");
  writeFileSync(file, JSON.stringify(fixtureAnnotations(f)));

  it("--json: the raw metrics and the LC rate, one object", () => {
    const r = iit(["winrate", "--annotations", file, "--length-controlled", "--data-dir", fixtureDataDir(f), "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    const out = r.json();
    expect(Math.abs(out.length_controlled_winrate - f.expected.length_controlled_winrate)).toBeLessThan(0.01);
    expect(Math.abs(out.lc_standard_error - f.expected.lc_standard_error)).toBeLessThan(0.01);
    expect(out.win_rate).toBeCloseTo(f.expected.win_rate, 9);
    expect(out.lc_C).toBeCloseTo(f.expected.C!, 9);
    expect(Object.keys(out)).toEqual(
      expect.arrayContaining(["n_wins", "standard_error", "lc_weights", "lc_extreme_change"]),
    );
  });
  it("the table shows the LC rate beside the raw one", () => {
    const r = iit(["winrate", "--annotations", file, "--length-controlled", "--data-dir", fixtureDataDir(f)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/win rate\s+66\.65 ± /);
    expect(r.stdout).toMatch(new RegExp(`length-controlled\\s+${f.expected.length_controlled_winrate.toFixed(2)} ± `));
  });
  it("without alpaca-eval-lc: exit 1, the typed error naming `iit data get alpaca-eval-lc`, no stack", () => {
    const r = iit(["winrate", "--annotations", file, "--length-controlled", "--data-dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^iit: error \[LC_DATA_MISSING\]: .*df_gamed\.csv/);
    expect(r.stderr).toContain("iit data get alpaca-eval-lc");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(file, "utf8").length).toBeGreaterThan(0); // the input survives
  });
});

// The published leaderboard rows of ../shared/data/alpaca_eval, once `iit data get alpaca-eval-lc` has run.
// They were computed by AlpacaEval on other numpy/scikit-learn releases (whose folds may differ), hence 0.1.
const shared = resolve(fixturesDir, "../../../../shared/data/alpaca_eval");
const haveReal = existsSync(gamedDataPath()) && existsSync(join(shared, "leaderboard.csv"));
describe.skipIf(!haveReal)("the published AlpacaEval 2 LC win rates (needs alpaca-eval-lc and ../shared)", () => {
  const rows = haveReal
    ? (parse(readFileSync(join(shared, "leaderboard.csv"), "utf8"), { columns: true }) as Record<string, string>[])
    : [];
  it.each(rows.map((r) => [r[""], Number(r.length_controlled_winrate)] as const))(
    "%s: %f",
    async (model, published) => {
      const annotations = await readAnnotations(join(shared, `${model}.annotations.json`));
      const got = await lengthControlledWinRate(annotations);
      expect(Math.abs(got.length_controlled_winrate - published)).toBeLessThan(0.1);
    },
  );
});

describe("AlpacaEval's extreme-change warning", () => {
  it("follows its docstring's examples (abs_diff 10, rel_diff 4)", () => {
    // old 20: too small below min(20 − 20/4, 20 − 10) = 10, too large above max(20 + 80/4, 30) = 40
    expect([9.9, 10, 40, 40.1].map((v) => isExtremeChange(20, v))).toEqual([true, false, false, true]);
    // old 50: below 37.5 or above 62.5
    expect([37.4, 37.5, 62.5, 62.6].map((v) => isExtremeChange(50, v))).toEqual([true, false, false, true]);
  });
  it("--data-dir without --length-controlled is a usage error", async () => {
    const r = iit(["winrate", "--annotations", "x.json", "--data-dir", "d"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("[INVALID_OPTION]: --data-dir is only read with --length-controlled");
  });
});
