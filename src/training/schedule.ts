// The learning-rate schedule of training.

/**
 * Linear warmup to `peak` over `warmup` steps, then linear decay (open-instruct's "linear" schedule),
 * shifted by one step so that no step has learning rate 0 (ggml's AdamW rejects alpha = 0):
 * step s (0-based) of `total` gets peak·(s+1)/warmup while s < warmup, else peak·(total−s)/(total−warmup).
 */
export function learningRate(step: number, total: number, warmup: number, peak: number): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  return (peak * (total - step)) / Math.max(1, total - warmup);
}
