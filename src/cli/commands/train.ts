import { Command, Option } from "commander";
import { LR_SCHEDULES, type LrSchedule } from "../../training/schedule.js";
import { train } from "../../training/train.js";
import { DEFAULT_MAX_GRAD_NORM } from "../../training/trainOptions.js";
import { DEFAULT_LOSS_REDUCTION, LOSS_REDUCTIONS, type LossReduction } from "../../training/loss.js";
import type { TrainMode } from "../../training/types.js";
import { placementLine } from "../../model/placement.js";
import { POLL_HELP, THREADS_HELP } from "../modelOptions.js";
import { progressBar } from "../progress.js";
import { floatOption, intOption, interruptSignal, printJson } from "../util.js";
import { UINT32_MAX } from "../../util/numbers.js";

interface TrainCliOptions {
  model: string;
  data: string;
  mode: TrainMode;
  output: string;
  epochs: number;
  lr: number;
  lrSchedule: LrSchedule;
  warmupRatio: number;
  batchSize: number;
  weightDecay: number;
  lossReduction: LossReduction;
  maxGradNorm: number;
  seed: number;
  valFraction: number;
  nCtx: number;
  pack?: boolean;
  maxExamples?: number;
  loraRank?: number;
  loraAlpha?: number;
  loraTargets: string;
  freezeEmbeddings?: boolean;
  resume?: boolean;
  threads?: number;
  poll?: number;
  json?: boolean;
}

export const trainCommand = new Command("train")
  .description(
    "finetune a GGUF model: response tuning, instruction tuning, single-task or LM; full F32 weights or a LoRA adapter",
  )
  .requiredOption("-m, --model <gguf>", "base model (F32 for full finetuning; any type with --lora-rank)")
  .requiredOption("--data <jsonl>", "training data, messages JSONL (iit data convert writes it)")
  .addOption(
    new Option(
      "--mode <mode>",
      "instruction/response: loss on assistant tokens and their EOS (response also empties the user turns); lm: on every token",
    )
      .choices(["instruction", "response", "lm"])
      .makeOptionMandatory(),
  )
  .requiredOption("-o, --output <gguf>", "the trained model, or the adapter with --lora-rank")
  .option("--epochs <n>", "passes over the data", intOption("--epochs"), 2)
  .option("--lr <x>", "peak learning rate (linear warmup, then --lr-schedule)", floatOption("--lr"), 1e-5)
  .addOption(
    new Option(
      "--lr-schedule <how>",
      "after warmup: linear decay to 0, or constant (then epoch k of a run equals a k-epoch run)",
    )
      .choices(LR_SCHEDULES)
      .default("linear"),
  )
  .option("--warmup-ratio <x>", "fraction of steps spent warming up", floatOption("--warmup-ratio"), 0.03)
  .option("--batch-size <n>", "examples per optimizer step (gradient accumulation)", intOption("--batch-size"), 1)
  .option("--weight-decay <x>", "AdamW weight decay", floatOption("--weight-decay"), 0)
  .addOption(
    new Option(
      "--loss-reduction <how>",
      "example: mean of each example's mean token loss (the paper's); token: one mean over the step's tokens",
    )
      .choices([...LOSS_REDUCTIONS])
      .default(DEFAULT_LOSS_REDUCTION),
  )
  .option(
    "--max-grad-norm <x>",
    "clip each step's global gradient L2 norm at x (0 = no clipping)",
    floatOption("--max-grad-norm"),
    DEFAULT_MAX_GRAD_NORM,
  )
  .option("--seed <n>", "shuffling and LoRA initialisation seed", intOption("--seed", { min: 0, max: UINT32_MAX }), 42)
  .option("--val-fraction <x>", "examples held out for a validation loss each epoch", floatOption("--val-fraction"), 0)
  .option(
    "--n-ctx <n>",
    "tokens per window, a multiple of 256 (longer examples are truncated)",
    intOption("--n-ctx", { min: 256 }),
    512,
  )
  .option("--pack", "pack several examples into each window")
  .option("--max-examples <n>", "use only the first n examples", intOption("--max-examples"))
  .option("--lora-rank <r>", "train a LoRA adapter of rank r instead of the full weights", intOption("--lora-rank"))
  .option("--lora-alpha <a>", "LoRA alpha (default 2 × rank)", floatOption("--lora-alpha"))
  .option(
    "--lora-targets <list>",
    "comma-separated weight names to adapt",
    "attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down",
  )
  .option("--freeze-embeddings", "full finetuning: keep token_embd fixed (less memory; llama-finetune's behaviour)")
  .option("--resume", "continue from the checkpoint next to --output (<output>.ckpt)")
  .option("-t, --threads <n>", THREADS_HELP, intOption("--threads"))
  .option("--poll <level>", POLL_HELP, intOption("--poll"))
  .option("--json", "print one JSON object on stdout")
  .action(async (opts: TrainCliOptions) => {
    const quiet = !!opts.json;
    let bar: ReturnType<typeof progressBar> | undefined;
    let last = 0;
    try {
      const result = await train({
        model: opts.model,
        data: opts.data,
        mode: opts.mode,
        output: opts.output,
        epochs: opts.epochs,
        lr: opts.lr,
        lrSchedule: opts.lrSchedule,
        warmupRatio: opts.warmupRatio,
        batchSize: opts.batchSize,
        weightDecay: opts.weightDecay,
        lossReduction: opts.lossReduction,
        maxGradNorm: opts.maxGradNorm,
        seed: opts.seed,
        valFraction: opts.valFraction,
        nCtx: opts.nCtx,
        pack: !!opts.pack,
        freezeEmbeddings: !!opts.freezeEmbeddings,
        maxExamples: opts.maxExamples,
        loraRank: opts.loraRank,
        loraAlpha: opts.loraAlpha,
        loraTargets: opts.loraTargets
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
        resume: !!opts.resume,
        threads: opts.threads,
        poll: opts.poll,
        signal: interruptSignal(),
        onPlacement: (p) => {
          if (!quiet) process.stderr.write(`iit train: ${placementLine(p)}\n`);
        },
        onWarning: (m) => {
          if (!quiet) process.stderr.write(`warning: ${m}\n`);
        },
        onProgress: (p) => {
          bar ??= progressBar(p.steps, "steps", quiet);
          bar.tick(p.step - last, {
            info: `epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)} ${p.tokensPerSecond.toFixed(0)} tok/s`,
          });
          last = p.step;
        },
      });
      bar?.stop();
      if (opts.json) return printJson(result);
      for (const e of result.epochs) {
        process.stdout.write(
          `epoch ${e.epoch}: train loss ${e.train_loss.toFixed(4)}${e.val_loss === null ? "" : `, val loss ${e.val_loss.toFixed(4)}`}\n`,
        );
      }
      process.stdout.write(
        `${result.tokens_per_second.toFixed(0)} tokens/s; wrote ${result.output} (loss log: ${result.output}.train.json)\n`,
      );
    } finally {
      bar?.stop();
    }
  });
