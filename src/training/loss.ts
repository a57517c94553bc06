// How the windows of one optimizer step weigh into its loss.

/**
 * example: the mean over the step's windows of each window's mean NLL per target token — the paper's
 * runs (open-instruct `--reduce_loss mean`, one example per device, gradient accumulation);
 * token: one mean over all of the step's target tokens (long examples weigh more).
 */
export type LossReduction = "example" | "token";
export const LOSS_REDUCTIONS: readonly LossReduction[] = ["example", "token"];
export const DEFAULT_LOSS_REDUCTION: LossReduction = "example";

/** The factor each window's summed NLL gets in the step's loss (what the trainer's lossScale takes). */
export function windowLossScales(nTargets: readonly number[], reduction: LossReduction): number[] {
  if (reduction === "token") {
    const total = nTargets.reduce((a, b) => a + b, 0);
    return nTargets.map(() => 1 / total);
  }
  return nTargets.map((n) => 1 / (n * nTargets.length));
}
