// A stand-in for the training library in orchestration tests only: it "trains" by writing a LoRA
// adapter with random weights (seeded by the run's seed and mode), or a copy of the base model.
import { copyFile } from "node:fs/promises";
import { makeLora } from "../../src/model/makeLora.js";
import type { TrainOptions, TrainResult } from "../../src/training/types.js";

export function fakeTrainer(calls: TrainOptions[] = []) {
  return async (o: TrainOptions): Promise<TrainResult> => {
    calls.push(o);
    if (o.loraRank) {
      const seed = (o.seed ?? 1) * 10 + (o.mode === "response" ? 1 : 0);
      await makeLora({ base: o.model, output: o.output, rank: o.loraRank, bStd: 0.05, seed, targets: ["attn_q", "attn_v", "ffn_up"] });
    } else {
      await copyFile(o.model, o.output);
    }
    return { epochs: [{ epoch: 1, train_loss: 1, val_loss: null }], tokens_per_second: 0, output: o.output };
  };
}
