// Learning-rate schedule and the seeded shuffles the trainer uses (reproducible across resumes).

/**
 * Linear warmup to `peak` over `warmup` steps, then linear decay (open-instruct's "linear" schedule),
 * shifted by one step so that no step has learning rate 0 (ggml's AdamW rejects alpha = 0):
 * step s (0-based) of `total` gets peak·(s+1)/warmup while s < warmup, else peak·(total−s)/(total−warmup).
 */
export function learningRate(step: number, total: number, warmup: number, peak: number): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  return (peak * (total - step)) / Math.max(1, total - warmup);
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Fisher–Yates permutation of 0..n-1 determined by `seed`. */
export function permutation(n: number, seed: number): number[] {
  const next = rng(seed);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}
