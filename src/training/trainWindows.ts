// The training data as windows of tokens, split into train and validation, with its size checked first.
import { statSync } from "node:fs";
import { loadedBackend } from "../bindings/loadAddon.js";
import { dropInstructions, readTrainingRows } from "../data/messages.js";
import { TrainingError } from "../errors.js";
import { checkLoraRank } from "../model/loraShape.js";
import { modelShape } from "../model/memory.js";
import { loadModel, type Model } from "../model/Model.js";
import { systemInfo } from "../model/systemInfo.js";
import { permutation } from "../util/random.js";
import { tokenizeExample, tokenizeText, WindowBuilder, type Window, type WindowStats } from "./examples.js";
import { checkTrainingMemory } from "./memory.js";
import { check, type ResolvedTrainOptions } from "./trainOptions.js";
import type { TrainOptions } from "./types.js";

/**
 * Reads, tokenizes and windows the data one row at a time (only the tokens are kept, as typed arrays),
 * then splits the windows into train and validation.
 */
async function prepareWindows(
  r: ResolvedTrainOptions,
  vocab: Model,
): Promise<{ train: Window[]; val: Window[]; stats: WindowStats; pad: number; emptied: number }> {
  const builder = new WindowBuilder(r.nCtx, r.pack);
  let n = 0;
  let emptied = 0;
  // Stops at maxExamples before the generator parses another row: rows beyond it are never read.
  for await (let row of readTrainingRows(r.data)) {
    n++;
    if ("text" in row) {
      if (r.mode !== "lm") {
        throw new TrainingError(
          "DATA_NEEDS_LM_MODE",
          `${r.data}: row ${n} is a {"text"} row: plain text has no assistant turn to train on`,
          {
            suggestion: "train plain text with --mode lm, or give messages rows",
          },
        );
      }
      builder.add(tokenizeText(vocab, row.text));
    } else {
      // Response tuning trains on responses alone: user turns are emptied (the paper's remove_instructions.py).
      if (r.mode === "response" && row.messages.some((m) => m.role === "user" && m.content !== "")) {
        emptied++;
        row = dropInstructions([row])[0];
      }
      builder.add(tokenizeExample(vocab, row.messages, r.mode));
    }
    if (n === r.maxExamples) break;
  }
  if (n === 0) throw new TrainingError("NO_DATA", `${r.data} holds no examples`);
  const { windows, stats } = builder.finish();
  if (windows.length === 0) {
    throw new TrainingError("NO_TARGETS", `${r.data}: no example has a trainable token within ${r.nCtx} tokens`, {
      suggestion: r.mode === "lm" ? "check the data" : "the assistant turns are empty or cut off: raise --n-ctx",
    });
  }
  const order = permutation(windows.length, r.seed);
  const nVal = r.valFraction > 0 ? Math.max(1, Math.round(windows.length * r.valFraction)) : 0;
  check(nVal < windows.length, `a validation fraction of ${r.valFraction} leaves no training windows`);
  const val = order.slice(0, nVal).map((i) => windows[i]);
  const train = order.slice(nVal).map((i) => windows[i]);
  return { train, val, stats, pad: Math.max(0, vocab.meta.eos), emptied };
}

/** The LoRA rank and the run's memory, checked against the model's shape before any data is read. */
function checkTrainingSize(r: ResolvedTrainOptions, vocab: Model): void {
  const shape = modelShape(vocab.meta);
  if (r.loraRank > 0) checkLoraRank(shape, r.loraTargets, r.loraRank, "--lora-rank");
  // CUDA and Metal builds train with every layer offloaded (Vulkan keeps them on the CPU: see
  // trainerSettings in train.ts), so their devices' free memory counts as well.
  const backend = loadedBackend()?.backend;
  const deviceFree =
    backend && backend !== "cpu" && backend !== "vulkan"
      ? systemInfo()
          .devices.filter((d) => d.type !== "cpu")
          .reduce((n, d) => n + d.memoryFree, 0)
      : 0;
  checkTrainingMemory(
    shape,
    {
      modelBytes: statSync(r.model).size,
      nCtx: r.nCtx,
      loraRank: r.loraRank,
      loraTargets: r.loraTargets,
      freezeEmbeddings: r.freezeEmbeddings,
    },
    deviceFree,
  );
}

/** The data as training windows (tokenized with the model's vocabulary), its warnings sent to `onWarning`. */
export async function trainingWindows(r: ResolvedTrainOptions, onWarning: TrainOptions["onWarning"]) {
  const vocab = await loadModel({ model: r.model, vocabOnly: true });
  let prepared: Awaited<ReturnType<typeof prepareWindows>>;
  try {
    checkTrainingSize(r, vocab);
    prepared = await prepareWindows(r, vocab);
  } finally {
    vocab.dispose();
  }
  const { stats, emptied } = prepared;
  if (emptied)
    onWarning?.(
      `--mode response: ${emptied} example(s) had instructions; their user turns were emptied (use --mode instruction to train on them)`,
    );
  if (stats.truncated)
    onWarning?.(
      `${stats.truncated} example(s) longer than ${r.nCtx} tokens were truncated (raise --n-ctx to keep them whole)`,
    );
  if (stats.dropped)
    onWarning?.(`${stats.dropped} example(s) had no trainable token within ${r.nCtx} tokens and were left out`);
  return prepared;
}
