// The training API's options and results (library and `iit train` share them).
import type { ModelPlacement } from "../model/placement.js";
import type { LossReduction } from "./loss.js";
import type { LrSchedule } from "./schedule.js";

export type TrainMode = "instruction" | "response" | "lm";

export interface TrainOptions {
  /** Base GGUF (F32 weights for full finetuning; any type for LoRA). */
  model: string;
  /** Messages JSONL (open-instruct format). */
  data: string;
  /**
   * instruction/response: loss on assistant tokens and their EOS only; lm: on every token. response
   * also empties every user turn (response tuning; onWarning says how many had instructions).
   */
  mode: TrainMode;
  /** Full finetune: the trained model GGUF. LoRA: the adapter GGUF. */
  output: string;
  epochs?: number;
  /** Peak learning rate (linear warmup, then `lrSchedule`). */
  lr?: number;
  /** After warmup: "linear" decay to 0 (default) or "constant" (see schedule.ts). */
  lrSchedule?: LrSchedule;
  warmupRatio?: number;
  /** Examples per optimizer step (gradient accumulation). */
  batchSize?: number;
  weightDecay?: number;
  /** How a step averages its examples' losses: "example" (default; the paper's) or "token" (see loss.ts). */
  lossReduction?: LossReduction;
  /** Clip each step's global gradient L2 norm at this (default 1.0, the paper's; 0 = no clipping). */
  maxGradNorm?: number;
  seed?: number;
  /** Fraction of examples held out for validation loss (0 = none). */
  valFraction?: number;
  /** Tokens per training window (one example per window, padded and masked). */
  nCtx?: number;
  /** Pack several examples into each window instead of one per window. */
  pack?: boolean;
  /** CPU threads; defaults to a count chosen from one window's work (1 for tiny models). Never above the cores. */
  threads?: number;
  /** ggml's polling level (0..100) for idle threads between graphs. Defaults to `0`. */
  poll?: number;
  /** Full finetuning: keep token_embd fixed (saves its gradient and AdamW state; llama-finetune's behaviour). */
  freezeEmbeddings?: boolean;
  /** Train a LoRA adapter of this rank instead of the full weights. */
  loraRank?: number;
  loraAlpha?: number;
  /** Tensor-name suffixes to adapt (default: attention and FFN projections). */
  loraTargets?: string[];
  /** Continue from the checkpoint next to `output` (written at the end of each epoch). */
  resume?: boolean;
  /** Use only the first N examples of the data file. */
  maxExamples?: number;
  /**
   * Save the weights every this many optimizer steps (and after the last) to `OUT.snapshot.gguf`
   * (an adapter with `loraRank`) and call `onSnapshot`, e.g. to evaluate checkpoints for early stopping.
   */
  snapshotEvery?: number;
  /** Also snapshot (as `snapshotEvery` does) at the end of these epochs, e.g. the budgets a dev set chooses among. */
  snapshotEpochs?: number[];
  /** Called with each snapshot; resolve to `true` to stop training there (the output is then that snapshot's weights). */
  onSnapshot?: (s: { step: number; steps: number; path: string }) => Promise<boolean | undefined>;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  /** Things worth knowing that do not stop training (truncated or dropped examples). */
  onWarning?: (message: string) => void;
  /** Called once the model is loaded, with where it runs (the CLI prints it). */
  onPlacement?: (placement: ModelPlacement) => void;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  tokensPerSecond: number;
}

export interface EpochResult {
  epoch: number;
  train_loss: number;
  val_loss: number | null;
}

export interface TrainResult {
  epochs: EpochResult[];
  tokens_per_second: number;
  output: string;
  /** Where the model ran (from the run's log when --resume finds it finished; absent in logs of older versions). */
  placement?: ModelPlacement;
  /** Threads and polling level the training context ran with (from its log when --resume finds it finished; absent in logs of older versions). */
  threads?: number;
  poll?: number;
  /**
   * Training windows this process ran on 1, 2, … threads (after a --resume, the resumed part): without an
   * explicit count, the count moves with the machine's load.
   */
  windows_by_threads?: number[];
}
