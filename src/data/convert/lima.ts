import type { Message } from "../template.js";
import { requireStringList, type Converter } from "./types.js";

/**
 * LIMA as GAIR distributes it (`train.jsonl`: `conversations`, a list of strings, user first), converted
 * as open-instruct's `reformat_datasets.py` does: turns alternate user/assistant, an odd last turn is
 * dropped, ids are `lima_{row}`.
 */
export const lima: Converter = {
  reads: 'GAIR/lima train.jsonl (or its Parquet): "conversations" (list of strings, alternating user/assistant)',
  async *convert(rows, ctx) {
    let odd = 0;
    let empty = 0;
    try {
      for await (const src of rows) {
        let turns = requireStringList(src, "conversations");
        if (turns.length % 2 === 1) {
          odd++;
          turns = turns.slice(0, -1);
        }
        if (turns.length === 0) {
          empty++;
          continue;
        }
        const messages: Message[] = turns.map((content, i) => ({ role: i % 2 === 0 ? "user" : "assistant", content }));
        yield { dataset: "lima", id: `lima_${src.index}`, messages };
      }
    } finally {
      if (odd) ctx.note(`${odd} conversation(s) had an odd number of turns: the last turn was dropped`);
      if (empty) ctx.note(`${empty} conversation(s) had no complete user/assistant pair and were skipped`);
    }
  },
};
