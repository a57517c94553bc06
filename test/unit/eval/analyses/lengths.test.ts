import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { distribution, lengthsOf } from "../../../../src/eval/analyses/lengths.js";
import { iit } from "../../../helpers/cli.js";
import { tempDir } from "../../../helpers/fixtures.js";

const rows = [
  { instruction: "a", output: "héllo", generator: "g", n_tokens: 3, stop_reason: "eos" },
  { instruction: "b", output: "hi", generator: "g", n_tokens: 1, stop_reason: "max_tokens" },
  { instruction: "c", output: "🙂🙂🙂🙂", generator: "g", n_tokens: 8, stop_reason: "eos" },
  { instruction: "d", output: "", generator: "g" },
];

describe("lengths analysis", () => {
  it("counts characters as code points, tokens from n_tokens, EOS rate over rows that record a stop reason", () => {
    const a = lengthsOf("x", rows);
    expect(a.char_lengths).toEqual([5, 2, 4, 0]);
    expect(a.chars).toMatchObject({ n: 4, mean: 2.75, median: 3, min: 0, max: 5 });
    expect(a.tokens).toMatchObject({ n: 3, mean: 4, max: 8 });
    expect(a.eos_rate).toBeCloseTo(2 / 3);
    expect(a.stop_reasons).toEqual({ eos: 2, max_tokens: 1, unknown: 1 });
    expect(distribution([])).toMatchObject({ n: 0, mean: null, median: null });
    // Rows without n_tokens are counted by a tokenizer when one is given.
    expect(lengthsOf("x", rows, [], (t) => t.length).tokens).toMatchObject({ n: 4, max: 8 });
  });

  it("iit analyze lengths --json pools files of the same arm", () => {
    const dir = tempDir("iit-lengths-");
    const f1 = join(dir, "a1.json");
    const f2 = join(dir, "a2.json");
    writeFileSync(f1, JSON.stringify(rows.slice(0, 2)));
    writeFileSync(f2, JSON.stringify(rows.slice(2)));
    const r = iit([
      "analyze",
      "lengths",
      "--outputs",
      `arm=${f1}`,
      "--outputs",
      `arm=${f2}`,
      "--outputs",
      f1,
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const j = r.json();
    expect(j.arms.map((a: { arm: string; responses: number }) => [a.arm, a.responses])).toEqual([
      ["arm", 4],
      ["a1", 2],
    ]);
    const text = iit(["analyze", "lengths", "--outputs", `arm=${f1}`]);
    expect(text.stdout).toContain("| arm | 2 | 4 / 4 | 2 / 3 | 50.0% | eos 1, max_tokens 1 |");
  });
});
