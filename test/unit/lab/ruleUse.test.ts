// Issue 22's question: an ablation of a rule the rule file does not use is the full arm again and
// cannot differ. Such an ablation is "not applicable" — decided from the rule file, never from the
// grades — and left out of the rules finding; an ablation of a used rule that does not differ still fails it.
import { describe, expect, it } from "vitest";
import { labPrompts } from "../../../src/lab/corpus.js";
import { breakdown, type Grade } from "../../../src/lab/grade.js";
import { ruleUsed, rulesUsed, unusedOf } from "../../../src/lab/ruleUse.js";
import { labFindings, labRows, type GradedRow, type LabArmInput, type Role } from "../../../src/lab/results.js";
import { makeWorld, TUNED_TASKS, type Task } from "../../../src/lab/world.js";
import { loadRules, parseRuleSpec } from "../../../src/rules/loadRules.js";

const w = makeWorld({ seed: 1 });
// 350 prompts, 70 per task (the tuned tasks' prompts of the evaluation).
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

function arm(name: string, role: Role, strict: (i: number) => boolean, unusedRules?: string[]): LabArmInput {
  const grades = prompts.map((_, i) => (strict(i) ? all : none));
  const rows: GradedRow[] = prompts.map((p, i) => ({
    instruction: p.instruction,
    output: `${name} ${i}`,
    task: p.task,
    group: p.group,
    ...grades[i],
  }));
  return {
    arm: name,
    kind: role,
    role,
    trainedTasks: [],
    seeds: [{ seed: role === "instruction" ? 1 : null, summary: breakdown(w, prompts, grades), rows }],
    ...(unusedRules ? { unusedRules } : {}),
  };
}
const upTo = (n: number) => (i: number) => i < n;
const rulesFinding = (arms: LabArmInput[]) => labFindings(labRows(arms, "it"), arms).find((f) => f.id === "rules")!;

describe("rules a file uses", () => {
  it("reads them from the file: a rule switched off is not used, whatever its numbers", () => {
    const fitted = parseRuleSpec({
      eos: { enabled: false, slope: 0.4 },
      repetition: { enabled: false },
      tokens: { scores: [{ text: "\n", score: -8 }] },
    });
    expect(rulesUsed(fitted)).toEqual(["tokens"]);
    expect(unusedOf(fitted, ["eos", "repetition"])).toEqual(["eos", "repetition"]);
    expect(unusedOf(fitted, ["tokens"])).toEqual([]);
    expect(rulesUsed(loadRules("examples/lab-rules.json"))).toEqual(["eos", "repetition", "tokens"]);
  });

  it("an enabled rule whose numbers are all zero is not used", () => {
    const s = parseRuleSpec({
      eos: { slope: 0 },
      repetition: { penalty: 0 },
      tokens: { scores: [{ text: "<", score: 0 }] },
    });
    expect(rulesUsed(s)).toEqual([]);
    expect(ruleUsed(parseRuleSpec({ eos: { slope: 0, hardStopAfter: 5 } }), "eos")).toBe(true);
    expect(ruleUsed(parseRuleSpec({ tokens: { scores: [{ text: "<", score: -1 }] } }), "tokens")).toBe(true);
  });
});

describe("the rules finding with an ablation of an unused rule", () => {
  const base = arm("base", "base", () => false);
  const it_ = arm("it", "instruction", upTo(250));
  const rules = arm("rules", "rules", upTo(220));
  const noEos = arm("rules-no-eos", "ablation", upTo(40));

  it("names it not applicable, leaves it out and tests the others", () => {
    const noRep = arm("rules-no-repetition", "ablation", upTo(220), ["repetition"]);
    const f = rulesFinding([base, it_, rules, noEos, noRep]);
    expect(f.reproduced).toBe(true);
    expect(f.verdict).toContain("rules-no-eos 0.114: below the full rules");
    expect(f.verdict).toContain(
      "rules-no-repetition: not applicable (the rule file does not use the repetition rule, so the ablation is the full rules again; 0 prompts only the full rules answer strictly, 0 only the ablation)",
    );
    const abl = f.measured.ablations as { arm: string; applicable: boolean }[];
    expect(abl.map((a) => [a.arm, a.applicable])).toEqual([
      ["rules-no-eos", true],
      ["rules-no-repetition", false],
    ]);
  });

  it("still fails when the rule is used and its ablation does not differ", () => {
    const noRep = arm("rules-no-repetition", "ablation", upTo(220));
    const f = rulesFinding([base, it_, rules, noEos, noRep]);
    expect(f.reproduced).toBe(false);
    expect(f.verdict).toContain("rules-no-repetition 0.629: no difference from the full rules");
  });

  it("fails when no ablation tests a rule the file uses", () => {
    const noRep = arm("rules-no-repetition", "ablation", upTo(220), ["repetition"]);
    const f = rulesFinding([base, it_, rules, noRep]);
    expect(f.reproduced).toBe(false);
    expect(f.verdict).toContain("(none tests a rule the file uses)");
  });
});
