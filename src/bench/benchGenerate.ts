import { loadModel } from "../model/Model.js";
import { resolveThreads } from "../model/options.js";
import { openPeer } from "./peer.js";

export interface BenchGenerateOptions {
  model: string;
  threads?: number;
  /** Raw-text prompt. Defaults to `"Once upon a time"`. */
  prompt?: string;
  /** Tokens generated per run. Defaults to `128`. */
  maxTokens?: number;
  /** Timed runs per engine after one warm-up; the median is reported. Defaults to `3`. */
  repeats?: number;
  /** Defaults to `[1, 4, 8]`. */
  parallel?: number[];
  onStatus?: (msg: string) => void;
}

export interface BenchGenerateResult {
  model: string;
  threads: number;
  n_tokens: number;
  ours_tps: number;
  peer_tps: number;
  ratio: number;
  parallel: Record<string, number>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Greedy tokens/s of our engine vs node-llama-cpp on the same model, prompt and threads, measured in one run. */
export async function benchGenerate(o: BenchGenerateOptions): Promise<BenchGenerateResult> {
  const threads = resolveThreads(o.threads);
  const maxTokens = o.maxTokens ?? 128;
  const repeats = o.repeats ?? 3;
  const levels = o.parallel ?? [1, 4, 8];
  const status = o.onStatus ?? (() => {});
  await using model = await loadModel({ model: o.model, threads });
  const prompt = o.prompt ?? "Once upon a time";
  const promptTokens = model.tokenize(prompt, { addSpecial: true });
  const contextSize = Math.ceil((promptTokens.length + maxTokens + 16) / 256) * 256;
  const gen = { template: "raw" as const, maxTokens, temperature: 0, contextSize };

  const ours: number[] = [];
  let nTokens = 0;
  for (let i = 0; i <= repeats; i++) {
    const t0 = performance.now();
    const [r] = await model.generate(prompt, gen);
    const s = (performance.now() - t0) / 1000;
    nTokens = r.tokens.length;
    if (i > 0) ours.push(r.tokens.length / s);
  }
  status(`ours: ${median(ours).toFixed(1)} tok/s`);

  const peer = await openPeer(model.path, threads, contextSize);
  const peerRuns: number[] = [];
  try {
    for (let i = 0; i <= repeats; i++) {
      const r = await peer.greedy(promptTokens, maxTokens);
      if (i > 0) peerRuns.push(r.tokens.length / r.seconds);
    }
  } finally {
    await peer.dispose();
  }
  status(`node-llama-cpp: ${median(peerRuns).toFixed(1)} tok/s`);

  const parallel: Record<string, number> = {};
  for (const p of levels) {
    const prompts = Array.from({ length: p }, () => prompt);
    const runs: number[] = [];
    for (let i = 0; i <= Math.min(repeats, 2); i++) {
      const t0 = performance.now();
      const rs = await model.generate(prompts, { ...gen, parallel: p });
      const s = (performance.now() - t0) / 1000;
      if (i > 0) runs.push(rs.reduce((n, r) => n + r.tokens.length, 0) / s);
    }
    parallel[String(p)] = median(runs);
    status(`parallel ${p}: ${parallel[String(p)].toFixed(1)} tok/s aggregate`);
  }
  const ours_tps = median(ours);
  const peer_tps = median(peerRuns);
  return { model: model.path, threads, n_tokens: nTokens, ours_tps, peer_tps, ratio: ours_tps / peer_tps, parallel };
}
