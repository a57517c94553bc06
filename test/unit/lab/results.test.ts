// The lab's judge and verdicts on constructed grades: the judge's total order, wins / ties / losses,
// and criteria that fail when they should (a ratio of 0.6996, the base plus 1 of 350, an ablation
// above the full rules) and pass when they should.
import { describe, expect, it } from "vitest";
import { labPrompts } from "../../../src/lab/corpus.js";
import { breakdown, GRADE_KEYS, type Grade } from "../../../src/lab/grade.js";
import { compareGrades, headToHead, JUDGE_ORDER } from "../../../src/lab/judge.js";
import { ablationTest, atLeast } from "../../../src/lab/criteria.js";
import { labFindings, labRows, type GradedRow, type LabArmInput, type Role } from "../../../src/lab/results.js";
import { labMarkdown } from "../../../src/lab/resultsMarkdown.js";
import { makeWorld, TUNED_TASKS, type Task } from "../../../src/lab/world.js";

const w = makeWorld({ seed: 1 });
// 350 prompts, 70 per task, creature by creature (the tuned tasks' prompts of the evaluation).
const prompts = labPrompts(w).eval.filter((p) => (TUNED_TASKS as readonly Task[]).includes(p.task));
const none: Grade = {
  correct: false,
  stopped: false,
  clean: false,
  strict: false,
  rightType: false,
  namesEntity: false,
};
const all: Grade = { correct: true, stopped: true, clean: true, strict: true, rightType: true, namesEntity: true };

/** An arm whose seed k answers strictly exactly the prompts `strict[k](i)` says (others: every grade false). */
function arm(
  name: string,
  role: Role,
  seeds: (number | null)[],
  strict: ((i: number) => boolean)[],
  trainedTasks: readonly Task[] = [],
): LabArmInput {
  return {
    arm: name,
    kind: role,
    role,
    trainedTasks,
    seeds: seeds.map((seed, k) => {
      const grades = prompts.map((_, i) => (strict[k](i) ? all : none));
      const rows: GradedRow[] = prompts.map((p, i) => ({
        instruction: p.instruction,
        output: `${name} ${i}`,
        task: p.task,
        group: p.group,
        ...grades[i],
      }));
      return { seed, summary: breakdown(w, prompts, grades), rows };
    }),
  };
}
const upTo = (n: number) => (i: number) => i < n;
const S = [1, 2, 3];

describe("the grader as judge", () => {
  it("ranks by strict, then correct, clean, right type, stopped, names it; ties only on equal grades", () => {
    expect(JUDGE_ORDER).toEqual(["strict", "correct", "clean", "rightType", "stopped", "namesEntity"]);
    expect([...JUDGE_ORDER].sort()).toEqual([...GRADE_KEYS].sort());
    expect(compareGrades(all, none)).toBe(1);
    expect(compareGrades({ ...none, correct: true }, { ...none, clean: true, stopped: true, rightType: true })).toBe(1);
    expect(
      compareGrades({ ...none, clean: true }, { ...none, rightType: true, stopped: true, namesEntity: true }),
    ).toBe(1);
    expect(compareGrades({ ...none, namesEntity: true }, none)).toBe(1);
    expect(compareGrades(none, { ...none, stopped: true })).toBe(-1);
    expect(compareGrades({ ...none, correct: true }, { ...none, correct: true })).toBe(0);
  });

  it("counts wins, ties and losses; strict alone no longer decides", () => {
    const ref = [none, none, all, { ...none, correct: true }].map((g, i) => ({ ...g, output: `r${i}` }));
    const a = [{ ...none, correct: true }, none, none, { ...none, correct: true }].map((g, i) => ({
      ...g,
      instruction: `q${i}`,
      output: `a${i}`,
    }));
    const h = headToHead(a, ref, { arm: 1, reference: 1 });
    expect(h).toMatchObject({ wins: 1, ties: 2, losses: 1, n: 4, win_rate: 50, arm_seed: 1, reference_seed: 1 });
    expect(h.standard_error).toBeCloseTo((100 * Math.sqrt(0.5 / 3)) / 2, 10);
  });

  it("pairs seed s with the reference's seed s, and an arm generated once with every reference seed", () => {
    const it_ = arm("it", "instruction", S, [upTo(200), upTo(210), upTo(220)]);
    const rt = arm("rt", "response", S, [upTo(190), upTo(200), upTo(230)]);
    const rules = arm("rules", "rules", [null], [upTo(100)]);
    const rows = labRows([it_, rt, rules], "it");
    expect(rows[0].head_to_head).toBeNull();
    expect(rows[1].head_to_head!.pairs.map((p) => [p.arm_seed, p.reference_seed])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(rows[1].head_to_head!.pairs.map((p) => [p.wins, p.ties, p.losses])).toEqual([
      [0, 340, 10],
      [0, 340, 10],
      [10, 340, 0],
    ]);
    expect(rows[1].head_to_head).toMatchObject({ wins: 10, ties: 1020, losses: 20 });
    expect(rows[2].head_to_head!.pairs.map((p) => [p.arm_seed, p.reference_seed])).toEqual([
      [null, 1],
      [null, 2],
      [null, 3],
    ]);
    const md = labMarkdown("lab", rows, [], 0.1, "it");
    expect(md).toContain("| 10 / 1020 / 20 |");
    expect(md).toContain("s1–s1: 48.6 ± 0.4 (0/340/10)");
  });
});

describe("criteria that can fail", () => {
  it("compares the printed lower bound: a ratio of 0.6996 prints 0.69 and fails 0.70", () => {
    const c = atLeast("ratio", { estimate: 0.6996, lo: 0.6996, hi: 0.6996 }, 0.7, 2, "×");
    expect(c.pass).toBe(false);
    expect(c.text).toBe("ratio 0.70× (95% CI 0.69–0.70×): lower bound 0.69 < 0.70");
    expect(atLeast("ratio", { estimate: 0.7, lo: 0.7, hi: 0.7 }, 0.7, 2).pass).toBe(true);
  });

  it("fails the base plus 1 of 350, which the old '∞× the base' passed", () => {
    const base = arm("base", "base", [null], [() => false]);
    const it_ = arm("it", "instruction", [1], [upTo(2)]);
    const rules = arm("rules", "rules", [null], [upTo(1)]);
    const [f] = labFindings(labRows([base, it_, rules], "it"), [base, it_, rules]);
    expect(f.id).toBe("rules");
    expect(f.reproduced).toBe(false);
    expect((f.measured.strict_margin_over_base as { pass: boolean }).pass).toBe(false);
    expect(f.verdict).toContain("rules − base strict 0.00 (95% CI 0.00–0.01): lower bound 0.00 < 0.10");
    expect(f.verdict).not.toContain("∞");
  });

  it("says an ablation above the full rules is above, and a difference of two prompts is no difference", () => {
    const full = [Array.from({ length: 350 }, (_, i) => (i < 174 ? 1 : 0))];
    const above = ablationTest("no-x", [full[0].map((v, i) => (i < 220 ? 1 : v))], full, 0.05);
    expect(above).toMatchObject({ direction: "above", full_only: 0, ablation_only: 46 });
    expect(above.text).toMatch(
      /^no-x 0\.629: above the full rules \(0\.497; 0 prompts .*, 46 only the ablation; exact McNemar p ≤ 0\.001, < 0\.05\)$/,
    );
    const two = ablationTest("no-rep", [full[0].map((v, i) => (i >= 172 && i < 174 ? 0 : v))], full, 0.05);
    expect(two).toMatchObject({ direction: "no difference", full_only: 2, ablation_only: 0, p: 0.5 });
    expect(two.text).toContain("no difference from the full rules");
    const base = arm("base", "base", [null], [() => false]);
    const it_ = arm("it", "instruction", [1], [upTo(300)]);
    const rules = arm("rules", "rules", [null], [upTo(174)]);
    const abl = arm("rules-no-x", "ablation", [null], [upTo(220)]);
    const [f] = labFindings(labRows([base, it_, rules, abl], "it"), [base, it_, rules, abl]);
    expect((f.measured.strict_ratio_vs_instruction as { pass: boolean }).pass).toBe(true);
    expect((f.measured.strict_margin_over_base as { pass: boolean }).pass).toBe(true);
    expect(f.reproduced).toBe(false);
    expect(f.verdict).toContain("rules-no-x 0.629: above the full rules");
  });

  it("a point estimate at the target is not enough: the interval must clear it", () => {
    const it_ = arm("it", "instruction", [1], [() => true]);
    const rt = arm("rt", "response", [1], [upTo(245)]); // 0.70 exactly
    const [f] = labFindings(labRows([it_, rt], "it"), [it_, rt]);
    expect(f.reproduced).toBe(false);
    expect(f.verdict).toMatch(/^strict ratio rt\/it 0\.70× \(95% CI 0\.6\d–0\.7\d×\): lower bound 0\.6\d < 0\.70;/);
  });

  it("passes findings that hold on constructed grades", () => {
    // Instruction-tuned 0.80 on three seeds; response-tuned the same answers but 5 more prompts wrong.
    const it_ = arm("it", "instruction", S, [upTo(280), upTo(280), upTo(280)]);
    const rt = arm("rt", "response", S, [upTo(275), upTo(275), upTo(275)]);
    // Single-task on a narrow task: every task of 3 creatures in 5 (prompts go creature by creature): 0.6.
    const sc = arm(
      "single-story",
      "single",
      S,
      [0, 1, 2].map(() => (i: number) => Math.floor(i / 5) % 5 < 3),
    );
    const base = arm("base", "base", [null], [() => false]);
    const rules = arm("rules", "rules", [null], [upTo(175)]);
    const noEos = arm("rules-no-eos", "ablation", [null], [() => false]);
    const noRep = arm("rules-no-repetition", "ablation", [null], [upTo(150)]);
    const arms = [base, it_, rt, sc, rules, noEos, noRep];
    const fs = labFindings(labRows(arms, "it"), arms);
    expect(fs.map((f) => [f.id, f.reproduced])).toEqual([
      ["response-tuning", true],
      ["single-task", true],
      ["rules", true],
    ]);
    const [resp, single, rl] = fs;
    expect(resp.verdict).toMatch(
      /lower bound 0\.9\d ≥ 0\.70; win rate vs it 49\.3% \(95% CI 4\d\.\d–\d+\.\d%\): lower bound 4\d\.\d ≥ 40\.0 \(wins 0 \/ ties 1035 \/ losses 15 over 3 seed pairs; SE 0\.\d\)$/,
    );
    expect(single.verdict).toMatch(/^strict, median single-task arm: 1 of 1 ratio lower bounds ≥ 0\.30× /);
    expect(rl.verdict).toContain("rules-no-eos 0.000: below the full rules");
    expect(rl.verdict).toContain(
      "rules-no-repetition 0.429: below the full rules (0.500; 25 prompts only the full rules answer strictly, 0 only the ablation; exact McNemar p ≤ 0.001, < 0.05)",
    );
  });
});

describe("single-task as the paper states it: the median arm, and all but one above the base", () => {
  const it_ = arm("it", "instruction", S, [upTo(280), upTo(280), upTo(280)]); // 0.80
  const base = arm("base", "base", [null], [() => false]);
  const single = (name: string, n: number) => arm(name, "single", S, [upTo(n), upTo(n), upTo(n)]);
  const finding = (singles: LabArmInput[]) => {
    const arms = [base, it_, ...singles];
    return labFindings(labRows(arms, "it"), arms)[0];
  };

  it("passes when the median arm clears 0.3x and one arm (the paper's chess) fails", () => {
    const f = finding([single("a", 200), single("b", 150), single("c", 120), single("d", 10)]);
    expect(f.id).toBe("single-task");
    expect(f.reproduced).toBe(true);
    expect(f.measured.margin_over_base).toMatchObject({ arms_below: ["d"], pass: true });
    expect(f.verdict).toContain("3 of 4 arms clear the base by 0.10 (at most 1 may not; below: d)");
  });

  it("fails when the median arm's lower bound is under 0.3x, though two arms clear it", () => {
    // Ratios 0.71, 0.36, 0.21, 0.18: the median of the lower bounds is under 0.30.
    const f = finding([single("a", 200), single("b", 100), single("c", 60), single("d", 50)]);
    expect(f.reproduced).toBe(false);
    expect(f.measured.median_ratio).toMatchObject({ arms_at_target: 2, pass: false });
    expect(f.verdict).toMatch(/median lower bound 0\.2\d× < 0\.30×/);
  });

  it("fails when two arms do not clear the base by the margin, though the median does", () => {
    const f = finding([single("a", 250), single("b", 250), single("c", 30), single("d", 20)]);
    expect(f.reproduced).toBe(false);
    expect(f.measured.margin_over_base).toMatchObject({ arms_below: ["c", "d"], pass: false });
  });
});
