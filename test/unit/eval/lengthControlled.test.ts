import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Annotation } from "../../../src/eval/annotations.js";
import { parseGamedData } from "../../../src/eval/glm/gamedData.js";
import { computeLengthControlled } from "../../../src/eval/lengthControlled.js";

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
  return Array.from(pattern.repeat(Math.ceil(n / Array.from(pattern).length) + 1)).slice(0, n).join("");
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

export function gamedDir(f: LcFixture): string {
  return join(fixturesDir, "gamed", f.gamed);
}

const names = readdirSync(fixturesDir)
  .filter((n) => n.endsWith(".json"))
  .map((n) => n.slice(0, -5));

describe("length-controlled win rate against AlpacaEval's own glm_winrate.py (test/fixtures/lc)", () => {
  it("has the fixtures", () => expect(names.length).toBeGreaterThanOrEqual(8));

  it.each(names)("%s: within 0.01 points of AlpacaEval", (name) => {
    const f = loadFixture(name);
    const file = join(gamedDir(f), "df_gamed.csv");
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
      got.cv_scores.forEach((s, i) => expect(Math.abs(s - f.expected.cv_scores![i])).toBeLessThan(1e-9));
    }
  });
});
