import { readFileSync } from "node:fs";
import { Command } from "commander";
import { labPretrain, LAB_BASE_DEFAULTS } from "../../lab/pretrain.js";
import { labBasePath, runLab } from "../../experiment/runLab.js";
import type { TrainProgress } from "../../training/types.js";
import { THREADS_HELP } from "../modelOptions.js";
import { progressBar } from "../progress.js";
import { collect, intOption, interruptSignal, printJson, seedOption } from "../util.js";
import { describeDryRun, experimentProgress } from "./experiment.js";

/** Pretraining progress: a bar with loss and tokens/s, stage lines on stderr. */
function pretrainProgress(quiet: boolean) {
  let bar: ReturnType<typeof progressBar> | undefined;
  let last = 0;
  return {
    onStage: (s: string) => quiet || process.stderr.write(`${s}\n`),
    onProgress: (p: TrainProgress) => {
      bar ??= progressBar(p.steps, "steps", quiet);
      bar.tick(p.step - last, { info: `loss ${p.loss.toFixed(3)} ${p.tokensPerSecond.toFixed(0)} tok/s` });
      last = p.step;
      if (p.step === p.steps) bar.stop();
    },
  };
}

const pretrainCommand = new Command("pretrain")
  .description(
    "make the lab's base model: a world, its tokenizer, a random llama, pretrained from scratch (iit train --mode lm)",
  )
  .option("--seed <n>", "world seed (1 to 2^31 - 1)", seedOption("--seed"), 1)
  .option(
    "-o, --output <file>",
    "the base model GGUF (default: models/lab-base.gguf for world 1, models/lab-base-world-N.gguf otherwise)",
  )
  .option("--tokens <n>", "pretraining tokens (about)", intOption("--tokens"), LAB_BASE_DEFAULTS.tokens)
  .option("-t, --threads <n>", THREADS_HELP, intOption("--threads"))
  .option("--json", "print one JSON object on stdout")
  .action(async (opts: { seed: number; output?: string; tokens: number; threads?: number; json?: boolean }) => {
    const output = opts.output ?? labBasePath(opts.seed);
    const r = await labPretrain({
      seed: opts.seed,
      output,
      tokens: opts.tokens,
      threads: opts.threads,
      signal: interruptSignal(),
      ...pretrainProgress(!!opts.json),
    });
    if (opts.json) printJson(r);
    else {
      const e = r.epochs[0];
      process.stdout.write(
        `${output}: world ${opts.seed}, vocabulary ${r.vocabSize}, ${r.documents} documents, train loss ${e.train_loss.toFixed(3)}, val loss ${e.val_loss?.toFixed(3)}, ${r.tokens_per_second.toFixed(0)} tok/s, ${r.seconds.toFixed(0)} s\nsha256 ${r.sha256}\n`,
      );
    }
  });

const runCommand = new Command("run")
  .description(
    "the lab: every arm trained, generated and graded on the shipped base (or another world's, pretrained when missing); prints the table and verdicts",
  )
  .option("--world <n>", "world seed (1 = the shipped base; up to 2^31 - 1)", seedOption("--world"))
  .option("--base <file>", "base model GGUF of that world")
  .option("-o, --output <dir>", "output directory (default: runs/lab, or runs/lab-world-N)")
  .option(
    "--seeds <n>",
    "training seed of the tuned arms (repeatable; default: the config's)",
    collect(seedOption("--seeds")),
    [],
  )
  .option("-t, --threads <n>", THREADS_HELP, intOption("--threads"))
  .option("--only <pattern>", "only these steps (see iit experiment run --only)", collect(String), [])
  .option("--dry-run", "list every step with its inputs, hash and status; run nothing")
  .option("--json", "print one JSON object on stdout")
  .action(
    async (opts: {
      world?: number;
      base?: string;
      output?: string;
      seeds: number[];
      threads?: number;
      only: string[];
      dryRun?: boolean;
      json?: boolean;
    }) => {
      const quiet = !!opts.json;
      const { run, world } = await runLab({
        world: opts.world,
        base: opts.base,
        output: opts.output,
        seeds: opts.seeds.length ? opts.seeds : undefined,
        threads: opts.threads,
        only: opts.only.length ? opts.only : undefined,
        dryRun: !!opts.dryRun,
        signal: interruptSignal(),
        onEvent: experimentProgress(quiet),
        onPretrain: pretrainProgress(quiet),
      });
      if (opts.json) printJson({ world, ...run });
      else if (run.dryRun) process.stdout.write(describeDryRun(run));
      else {
        process.stderr.write(
          `${run.aborted ? "interrupted" : "done"}: ${run.executed.length} steps run, ${run.cached.length} cached, output in ${run.output}\n`,
        );
        if (run.files) process.stdout.write(readFileSync(run.files.markdown, "utf8"));
      }
      if (run.aborted) process.exitCode = 130;
    },
  );

export const labCommand = new Command("lab")
  .description(
    "the paper's three findings live on a laptop: a synthetic world, a tiny base pretrained on it, every arm graded exactly (docs/lab.md)",
  )
  .addCommand(runCommand.exitOverride(), { isDefault: true })
  .addCommand(pretrainCommand.exitOverride());
