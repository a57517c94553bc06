import { Command, Option } from "commander";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { InvalidOptionError, RuleFitError } from "../../errors.js";
import { openJudge } from "../../eval/judge/index.js";
import { checkOutputPath } from "../../util/outputPath.js";
import { TEMPLATE_NAMES, type TemplateName } from "../../model/generationTypes.js";
import { worldSeedOf } from "../../lab/pretrain.js";
import { makeWorld } from "../../lab/world.js";
import { loadModel } from "../../model/Model.js";
import { readDev } from "../../rules/fit/dev.js";
import { FIT_KEEP_AT, fitRules } from "../../rules/fit/fitRules.js";
import { judgeScorer } from "../../rules/fit/judgeScorer.js";
import { LAB_MAX_TOKENS, labScorer } from "../../lab/ruleScorer.js";
import type { RuleScorer } from "../../rules/fit/scorers.js";
import { writeJsonAtomic } from "../../util/atomicWrite.js";
import { stripBom } from "../../util/bom.js";
import { addModelOptions, modelOptionsFrom, type ModelCliOptions } from "../modelOptions.js";
import { progressBar } from "../progress.js";
import { floatOption, intOption, interruptSignal, printJson, seedOption } from "../util.js";

interface FitCliOptions extends ModelCliOptions {
  dev: string;
  scorer: "lab" | "judge";
  output: string;
  judge?: string;
  judgeModel?: string;
  judgeKeyEnv: string;
  bothOrders?: boolean;
  maxEvals: number;
  seconds?: number;
  seed: number;
  candidates?: string;
  onlyCandidates?: boolean;
  maxCandidates: number;
  prune: boolean;
  keepAt: number;
  maxTokens?: number;
  template: TemplateName;
  parallel: number;
  cache?: string;
  name?: string;
  json?: boolean;
}

/** --candidates FILE: a JSON array of token texts. */
async function readCandidates(path: string): Promise<string[]> {
  let v: unknown;
  try {
    v = JSON.parse(stripBom(await readFile(path, "utf8")));
  } catch (e) {
    throw new RuleFitError("FIT_CANDIDATES_INVALID", `--candidates ${path}: ${(e as Error).message}`, {
      suggestion: 'a JSON array of token texts, e.g. ["<", "?", "\\n"]',
    });
  }
  if (!Array.isArray(v) || !v.every((t) => typeof t === "string" && t.length > 0)) {
    throw new RuleFitError(
      "FIT_CANDIDATES_INVALID",
      `--candidates ${path}: expected a JSON array of non-empty strings`,
      { suggestion: 'e.g. ["<", "?", "\\n"]' },
    );
  }
  return v as string[];
}

export const fitCommand = addModelOptions(
  new Command("fit").description(
    "fit a rule file to a base model on dev prompts: search EOS, repetition and token scores to maximise a scorer",
  ),
)
  .requiredOption("--dev <file>", 'dev prompts (JSONL of {"instruction"}; for --scorer lab, the lab\'s dev.jsonl)')
  .addOption(
    new Option(
      "--scorer <name>",
      "lab: the lab's grader (strict, ties by correct); judge: win rate against the base's own outputs",
    )
      .choices(["lab", "judge"])
      .makeOptionMandatory(),
  )
  .requiredOption("-o, --output <file>", "the rule file to write (JSON)")
  .option("--judge <spec>", "--scorer judge: a local GGUF judge, or openai:BASE_URL")
  .option("--judge-model <name>", "HTTP judges: the model name sent in each request")
  .option("--judge-key-env <var>", "HTTP judges: environment variable holding the API key", "OPENAI_API_KEY")
  .option("--both-orders", "judge both presentation orders (twice the calls)")
  .option(
    "--max-evals <n>",
    "budget of the search: evaluations at most (the empty spec included; the significance test after it may add one per rule)",
    intOption("--max-evals"),
    60,
  )
  .option(
    "--seconds <n>",
    "budget of the search: start no evaluation after this many seconds (the significance test still runs)",
    intOption("--seconds"),
  )
  .option("--seed <n>", "orders the candidate tokens in the search", seedOption("--seed"), 1)
  .option("--candidates <file>", "JSON array of token texts added to the discovered candidates")
  .option("--only-candidates", "search only the tokens of --candidates (no discovery)")
  .option("--max-candidates <n>", "discovered candidate tokens at most", intOption("--max-candidates"), 8)
  .option("--no-prune", "keep rules whose removal does not lower the dev score (default: switch them off)")
  .option(
    "--keep-at <p>",
    "keep a rule only when the dev prompts it gains outnumber those it loses at this significance (exact sign test); 1 keeps every rule that raises the dev score",
    floatOption("--keep-at", { min: 0, max: 1 }),
    FIT_KEEP_AT,
  )
  .option(
    "-n, --max-tokens <n>",
    `token budget per dev answer (default: ${LAB_MAX_TOKENS} for --scorer lab, else 512)`,
    intOption("--max-tokens"),
  )
  .addOption(
    new Option("--template <name>", "prompt format of the dev prompts").choices(TEMPLATE_NAMES).default("tulu"),
  )
  .option("--parallel <n>", "dev prompts decoded together (part of the cache key)", intOption("--parallel"), 16)
  .option("--cache <file>", "evaluation cache, JSONL (default: <output>.cache.jsonl)")
  .option("--name <name>", "the fitted spec's name (default: the output's file name)")
  .option("--json", "print one JSON object on stdout")
  .action(async (opts: FitCliOptions) => {
    if (opts.maxEvals < 1)
      throw new InvalidOptionError(
        "INVALID_OPTION",
        `--max-evals ${opts.maxEvals}: the budget must allow at least 1 evaluation`,
      );
    if (opts.seconds !== undefined && opts.seconds < 1)
      throw new InvalidOptionError("INVALID_OPTION", `--seconds ${opts.seconds}: at least 1 second`);
    checkOutputPath(opts.output, "-o");
    if (opts.scorer === "judge" && !opts.judge) {
      throw new InvalidOptionError("INVALID_OPTION", "--scorer judge needs --judge (a local GGUF or openai:BASE_URL)", {
        suggestion: "e.g. --judge openai:http://127.0.0.1:8080/v1 --judge-model NAME",
      });
    }
    const { prompts, rows } = await readDev(opts.dev);
    const candidates = opts.candidates ? await readCandidates(opts.candidates) : undefined;
    await using model = await loadModel(modelOptionsFrom(opts));
    let scorer: RuleScorer;
    if (opts.scorer === "lab") {
      const world = worldSeedOf(model.meta.metadata["general.name"]);
      if (world === null) {
        throw new RuleFitError(
          "FIT_NOT_LAB_BASE",
          `--scorer lab grades against a lab world, but ${opts.model} is not a lab base model`,
          {
            suggestion: "use a base made by iit lab pretrain, or --scorer judge for any other model",
          },
        );
      }
      scorer = labScorer(makeWorld({ seed: world }), rows, `--dev ${opts.dev}`);
    } else {
      const judge = await openJudge(opts.judge!, {
        judgeModel: opts.judgeModel,
        keyEnv: opts.judgeKeyEnv,
        load: { threads: opts.threads, gpuLayers: opts.gpuLayers },
      });
      scorer = {
        ...judgeScorer({ judge, prompts, cache: `${opts.output}.judge-cache.jsonl`, bothOrders: !!opts.bothOrders }),
        dispose: async () => judge.dispose?.(),
      };
    }
    let bar: ReturnType<typeof progressBar> | undefined;
    let shown = 0;
    const signal = interruptSignal();
    try {
      const r = await fitRules({
        model,
        scorer,
        maxTokens: opts.maxTokens ?? (opts.scorer === "lab" ? LAB_MAX_TOKENS : undefined),
        template: opts.template,
        parallel: opts.parallel,
        seed: opts.seed,
        maxEvals: opts.maxEvals,
        seconds: opts.seconds,
        candidates,
        onlyCandidates: !!opts.onlyCandidates,
        maxCandidates: opts.maxCandidates,
        prune: opts.prune,
        keepAt: opts.keepAt,
        cache: opts.cache ?? `${opts.output}.cache.jsonl`,
        name: opts.name ?? basename(opts.output).replace(/\.json$/i, ""),
        devSource: basename(opts.dev),
        signal,
        onEval: ({ n, maxEvals, best }) => {
          bar ??= progressBar(maxEvals, "evals", !!opts.json);
          bar.tick(n - shown, { info: `best ${best.score.toFixed(3)}` });
          shown = n;
        },
      });
      bar?.stop();
      bar = undefined;
      await writeJsonAtomic(opts.output, r.spec);
      const summary = {
        output: opts.output,
        score: r.score,
        base: r.base,
        evals: r.evals,
        cached: r.cached,
        seconds: r.seconds,
        stopped: r.stopped,
        pruned: r.pruned,
        dropped: r.dropped,
        candidates: r.candidates,
        unresolved: r.unresolved,
        dev_hash: r.devHash,
        model_sha256: r.modelSha,
        spec: r.spec,
      };
      if (opts.json) printJson(summary);
      else {
        process.stderr.write(
          `dev score ${r.base.score.toFixed(4)} (no rules) -> ${r.score.score.toFixed(4)} after ${r.evals} evaluations (${r.cached} cached, ${r.stopped}) in ${r.seconds.toFixed(1)} s\n` +
            `wrote ${opts.output}\n`,
        );
      }
    } finally {
      bar?.stop();
      await scorer.dispose?.();
    }
  });
