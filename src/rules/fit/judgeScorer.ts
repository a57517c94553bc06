// The paper's setting: the win rate of outputs under a rule spec against the base model's own outputs on
// the same dev instructions, judged by any judge the project supports (a local GGUF or an HTTP server).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AbortError, RuleFitError } from "../../errors.js";
import type { JudgeBackend } from "../../eval/judge/backend.js";
import { runJudge } from "../../eval/judge/runJudge.js";
import { promptInstruction } from "../../model/templates.js";
import type { PromptInput } from "../../model/generationTypes.js";
import type { RuleScorer, ScoredOutput } from "./scorers.js";

export interface JudgeScorerOptions {
  judge: JudgeBackend;
  prompts: PromptInput[];
  /** Judgement cache (JSONL): a rerun asks the judge nothing twice. Defaults to memory only. */
  cache?: string;
  /** Judge both presentation orders (twice the calls, no position bias). Defaults to `false`. */
  bothOrders?: boolean;
  /** Seed of the presentation order. Defaults to `42`. */
  seed?: number;
}

/** Win rate (AlpacaEval's, in %) against the base's outputs; ties broken by fewer losses. */
export function judgeScorer(opts: JudgeScorerOptions): RuleScorer {
  const instructions = opts.prompts.map(promptInstruction);
  if (new Set(instructions).size !== instructions.length) {
    throw new RuleFitError(
      "FIT_SCORER_FAILED",
      "the judge scorer pairs outputs by instruction, and the dev set repeats one",
      {
        suggestion: "remove the duplicate instructions from --dev",
      },
    );
  }
  const file = (outs: ScoredOutput[], generator: string) =>
    JSON.stringify(outs.map((r, i) => ({ instruction: instructions[i], output: r.output, generator })));
  return {
    id: `judge:${opts.judge.id}:both=${opts.bothOrders ?? false}:seed=${opts.seed ?? 42}`,
    prompts: opts.prompts,
    score: async (outputs, { base, signal }) => {
      const dir = await mkdtemp(join(tmpdir(), "iit-fit-judge-"));
      try {
        await writeFile(join(dir, "reference.json"), file(base, "base"));
        await writeFile(join(dir, "outputs.json"), file(outputs, "rules"));
        const { summary, annotations } = await runJudge({
          judge: opts.judge,
          outputs: join(dir, "outputs.json"),
          reference: join(dir, "reference.json"),
          cache: opts.cache ?? false,
          bothOrders: opts.bothOrders,
          seed: opts.seed,
          signal,
        });
        if (signal?.aborted) throw new AbortError();
        const m = summary.metrics;
        if (m.n_total === 0) {
          throw new RuleFitError(
            "FIT_SCORER_FAILED",
            `the judge ${opts.judge.id} gave no usable preference on ${outputs.length} dev pairs`,
            {
              suggestion: "check the judge with `iit judge` on two output files first",
            },
          );
        }
        const pref = new Map(
          annotations.map((a) => [a.instruction, typeof a.preference === "number" ? a.preference - 1 : 0.5]),
        );
        return {
          score: m.win_rate,
          tiebreak: -m.n_wins_base,
          perPrompt: instructions.map((i) => pref.get(i) ?? 0.5),
          detail: {
            win_rate: m.win_rate,
            wins: m.n_wins,
            losses: m.n_wins_base,
            ties: m.n_draws,
            missing: summary.missing,
          },
        };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
