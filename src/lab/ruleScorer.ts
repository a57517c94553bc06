// The lab's scorer for `iit rules fit`: its grader on the world's dev prompts.
import { RuleFitError } from "../errors.js";
import type { RuleScorer, ScoredOutput } from "../rules/fit/scorers.js";
import type { LabPrompt } from "./corpus.js";
import { gradeOutput, summarize } from "./grade.js";
import { newTurn } from "./turns.js";
import { TASKS, type World } from "./world.js";

/** The lab's token budget per answer (examples/lab.json's generation.maxTokens): dev scores match the lab's only under it. */
export const LAB_MAX_TOKENS = 40;

const isLabRow = (v: unknown): v is LabPrompt => {
  const r = v as Partial<LabPrompt> | null;
  return (
    !!r &&
    typeof r.instruction === "string" &&
    typeof r.creature === "string" &&
    (TASKS as readonly string[]).includes(r.task as string)
  );
};

/**
 * The lab's grader on its dev prompts: strict (correct and clean), ties broken by correct. Rows are the
 * lab's dev.jsonl (`instruction`, `creature`, `task`), all of creatures of `world` outside its evaluation groups.
 */
export function labScorer(world: World, rows: unknown[], source = "the dev set"): RuleScorer {
  const prompts: LabPrompt[] = rows.map((r, i) => {
    if (!isLabRow(r)) {
      throw new RuleFitError(
        "FIT_DEV_NOT_LAB",
        `${source}: row ${i + 1} is not a lab prompt (needs "instruction", "creature" and "task" of ${TASKS.join("/")})`,
        {
          suggestion:
            "the lab scorer reads the lab's dev.jsonl (written by the lab's world step); use --scorer judge for other prompts",
        },
      );
    }
    if (!world.byName.has(r.creature)) {
      throw new RuleFitError(
        "FIT_DEV_WRONG_WORLD",
        `${source}: row ${i + 1} asks about ${r.creature}, who is not in world ${world.seed} (the base's world)`,
        {
          suggestion: `use the dev prompts of world ${world.seed}, or the base pretrained on the dev set's world`,
        },
      );
    }
    // A fitted file may carry nothing learnt from the evaluation: its creatures are never evidence.
    const group = world.byName.get(r.creature)!.group;
    if (group === "evalQa" || group === "evalProse") {
      throw new RuleFitError(
        "FIT_DEV_IS_EVAL",
        `${source}: row ${i + 1} asks about ${r.creature}, an evaluation creature of world ${world.seed} (group ${group})`,
        {
          suggestion: "fit on the lab's dev.jsonl only; eval.jsonl is what the fitted rules are measured on",
        },
      );
    }
    return r;
  });
  const grades = (outputs: ScoredOutput[]) =>
    outputs.map((o, i) => gradeOutput(world, prompts[i], o.output, o.stopReason === "eos"));
  return {
    // v2: scores carry perPrompt, so evaluations cached before it are not reused.
    id: `lab:v2:world=${world.seed}`,
    prompts,
    score: async (outputs) => {
      const g = grades(outputs);
      const s = summarize(world, prompts, g);
      return {
        score: s.strict,
        tiebreak: s.correct,
        perPrompt: g.map((x) => (x.strict ? 1 : 0)),
        detail: { strict: s.strict, correct: s.correct, clean: s.clean, stopped: s.stopped },
      };
    },
    passes: (outputs) => grades(outputs).map((g) => g.strict),
    failures: (outputs) =>
      grades(outputs).map((g, i) => {
        if (g.strict) return null;
        const text = outputs[i].output;
        const turn = newTurn(text);
        const marks = [turn ? text.indexOf(turn.text) : -1, text.search(/[?<>|]/)].filter((k) => k >= 0);
        // No marker (a wrong fact, or a run-on the EOS rule is for): no token to blame.
        return marks.length ? Math.min(...marks) : null;
      }),
  };
}
