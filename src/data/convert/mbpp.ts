import type { SourceRow } from "../readers.js";
import { example, requireString, type Converter } from "./types.js";

/** MBPP's train split is task_id 601–974 (the Hub's `train`; the original mbpp.jsonl holds all 974 tasks). */
const TRAIN_FIRST = 601;
const TRAIN_LAST = 974;

function taskId(src: SourceRow): number | undefined {
  const v = src.row.task_id;
  return typeof v === "number" || typeof v === "bigint" ? Number(v) : undefined;
}

/**
 * MBPP (`google-research-datasets/mbpp`, full, train): user = `text`, assistant = `code` (tests not used).
 * Given the original mbpp.jsonl (tasks in and outside the train range), only the train split is kept,
 * so both distributions give the paper's 374 examples.
 */
export const mbpp: Converter = {
  reads: 'google-research-datasets/mbpp full train (Parquet, or the original mbpp.jsonl): "text", "code", "task_id"',
  defaultLimit: 1000,
  async *convert(rows, ctx) {
    const all: SourceRow[] = [];
    for await (const src of rows) all.push(src);
    const inTrain = (s: SourceRow) => {
      const id = taskId(s);
      return id !== undefined && id >= TRAIN_FIRST && id <= TRAIN_LAST;
    };
    const trainCount = all.filter(inTrain).length;
    let kept = all;
    if (trainCount > 0 && trainCount < all.length) {
      kept = all.filter(inTrain);
      ctx.note(`kept the train split (task_id ${TRAIN_FIRST}-${TRAIN_LAST}): ${kept.length} of ${all.length} rows`);
    }
    for (const [i, src] of kept.entries()) {
      yield example("mbpp", `mbpp_${i}`, requireString(src, "text"), requireString(src, "code"));
    }
  },
};
