// The learning-rate schedule of training.

/**
 * "linear" decays to 0 at the last step (open-instruct's default). "constant" holds the peak after warmup:
 * then the weights after epoch k of an n-epoch run are those of a k-epoch run, so one run with a snapshot at
 * each epoch budget is every budget's run at once (the lab chooses among budgets this way).
 */
export type LrSchedule = "linear" | "constant";
export const LR_SCHEDULES: readonly LrSchedule[] = ["linear", "constant"];

/**
 * Linear warmup to `peak` over `warmup` steps, then linear decay (open-instruct's "linear" schedule),
 * shifted by one step so that no step has learning rate 0 (ggml's AdamW rejects alpha = 0):
 * step s (0-based) of `total` gets peak·(s+1)/warmup while s < warmup, else peak·(total−s)/(total−warmup).
 */
export function learningRate(
  step: number,
  total: number,
  warmup: number,
  peak: number,
  schedule: LrSchedule = "linear",
): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  if (schedule === "constant") return peak;
  return (peak * (total - step)) / Math.max(1, total - warmup);
}
