// node-llama-cpp as the comparison peer: the same GGUF, prompt tokens, thread count and greedy decoding,
// through its own prebuilt llama.cpp. Imported lazily: only benchmarks and tests need it.
import type { Llama, LlamaContext, LlamaModel } from "node-llama-cpp";

export interface PeerSession {
  /** Greedy completion of exactly these prompt tokens (BOS included by the caller); stops at EOG or maxTokens. */
  greedy(promptTokens: number[], maxTokens: number): Promise<{ tokens: number[]; seconds: number }>;
  /**
   * The closest node-llama-cpp emulation of the rule adapter: a per-step tokenBias function for the fixed
   * token scores plus a presence penalty (it cannot express the EOS rule: its TokenBias skips EOS).
   */
  biasedCompletion(
    promptTokens: number[],
    maxTokens: number,
    biases: { id: number; score: number }[],
    presencePenalty: number,
  ): Promise<{ nTokens: number; seconds: number }>;
  dispose(): Promise<void>;
}

export async function openPeer(modelPath: string, threads: number, contextSize: number): Promise<PeerSession> {
  const { getLlama } = await import("node-llama-cpp");
  const llama: Llama = await getLlama({ gpu: false, maxThreads: threads, build: "never", logLevel: "error" as never });
  const model: LlamaModel = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context: LlamaContext = await model.createContext({ contextSize, threads, batchSize: 512, sequences: 1 });
  return {
    async greedy(promptTokens, maxTokens) {
      const seq = context.getSequence();
      try {
        const out: number[] = [];
        const t0 = performance.now();
        for await (const token of seq.evaluate(promptTokens as never, { temperature: 0 })) {
          if (model.isEogToken(token)) break;
          out.push(token);
          if (out.length >= maxTokens) break;
        }
        return { tokens: out, seconds: (performance.now() - t0) / 1000 };
      } finally {
        seq.dispose();
      }
    },
    async biasedCompletion(promptTokens, maxTokens, biases, presencePenalty) {
      const { LlamaCompletion, TokenBias } = await import("node-llama-cpp");
      const seq = context.getSequence();
      try {
        const completion = new LlamaCompletion({ contextSequence: seq });
        let nTokens = 0;
        const t0 = performance.now();
        await completion.generateCompletion(promptTokens as never, {
          maxTokens,
          temperature: 0,
          onToken: (t) => {
            nTokens += t.length;
          },
          tokenBias: () => {
            const bias = new TokenBias(model.tokenizer);
            for (const b of biases) bias.set(b.id as never, { logit: b.score });
            return bias;
          },
          repeatPenalty: { penalty: 1, presencePenalty, lastTokens: maxTokens + promptTokens.length },
        });
        return { nTokens, seconds: (performance.now() - t0) / 1000 };
      } finally {
        seq.dispose();
      }
    },
    async dispose() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}
