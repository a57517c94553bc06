import { loadModel } from "../model/Model.js";
import { type BenchCpu, benchCpu } from "./cpuInfo.js";
import { promptTokens } from "../model/templates.js";
import { loadRules } from "../rules/loadRules.js";
import { openPeer } from "./peer.js";
import { median } from "./rounds.js";

export interface BenchRulesOptions {
  model: string;
  threads?: number;
  /** Tokens generated per prompt. Defaults to `128`. */
  maxTokens?: number;
  /** Defaults to `3`. */
  repeats?: number;
  onStatus?: (msg: string) => void;
}

export interface BenchRulesResult {
  /** The CPU, its ISA flags, ggml's CPU features and the load average at the start. */
  cpu: BenchCpu;
  model: string;
  threads: number;
  n_tokens: number;
  plain_tps: number;
  rules_tps: number;
  ratio: number;
  adapter_us_per_token: number;
  peer_tps: number;
}

const INSTRUCTIONS = [
  "Give three tips for staying healthy.",
  "What is the capital of France?",
  "Write a haiku about rain.",
  "Explain photosynthesis.",
];

/**
 * Greedy tokens/s with the hewitt2024 adapter vs no adapter, on the same model and prompts (Tulu
 * format), both past EOS so every run decodes the same number of tokens; and node-llama-cpp's closest
 * emulation (per-step tokenBias + presence penalty) on the same prompts.
 */
export async function benchRules(opts: BenchRulesOptions): Promise<BenchRulesResult> {
  const cpu = benchCpu();
  const maxTokens = opts.maxTokens ?? 128;
  const repeats = opts.repeats ?? 3;
  const status = opts.onStatus ?? (() => {});
  await using model = await loadModel({ model: opts.model, threads: opts.threads });
  const threads = model.threadsFor(1);
  const rules = loadRules("hewitt2024");
  const gen = { maxTokens, contextSize: 512, ignoreEos: true };

  const run = async (withRules: boolean) => {
    let n = 0;
    const t0 = performance.now();
    for (const p of INSTRUCTIONS)
      n += (await model.generate(p, { ...gen, ...(withRules ? { rules } : {}) }))[0].tokens.length;
    return n / ((performance.now() - t0) / 1000);
  };
  // Alternate the two so that machine noise falls on both alike; the first pair warms up.
  const plainRuns: number[] = [];
  const rulesRuns: number[] = [];
  for (let i = 0; i <= repeats; i++) {
    const p = await run(false);
    const r = await run(true);
    if (i > 0) plainRuns.push(p), rulesRuns.push(r);
  }
  const plain_tps = median(plainRuns);
  const rules_tps = median(rulesRuns);
  status(`plain ${plain_tps.toFixed(1)} tok/s, hewitt2024 ${rules_tps.toFixed(1)} tok/s`);

  const resolved = model.rulesFor(rules);
  const peer = await openPeer(model.path, threads, 512);
  const peerRuns: number[] = [];
  try {
    for (let i = 0; i <= repeats; i++) {
      let n = 0;
      let s = 0;
      for (const p of INSTRUCTIONS) {
        const r = await peer.biasedCompletion(
          promptTokens(model, p, "tulu"),
          maxTokens,
          resolved.tokens,
          -rules.repetition.penalty,
        );
        n += r.nTokens;
        s += r.seconds;
      }
      if (i > 0) peerRuns.push(n / s);
    }
  } finally {
    await peer.dispose();
  }
  const peer_tps = median(peerRuns);
  status(`node-llama-cpp emulation ${peer_tps.toFixed(1)} tok/s`);
  return {
    cpu,
    model: model.path,
    threads,
    n_tokens: maxTokens * INSTRUCTIONS.length,
    plain_tps,
    rules_tps,
    ratio: rules_tps / plain_tps,
    adapter_us_per_token: (1 / rules_tps - 1 / plain_tps) * 1e6,
    peer_tps,
  };
}
