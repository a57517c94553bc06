import { example, requireString, type Converter } from "./types.js";

/** GSM8K (`openai/gsm8k`, main, train): user = `question`, assistant = `answer` (with its `<<calc>>` and `#### N`). */
export const gsm8k: Converter = {
  reads: 'openai/gsm8k main train (Parquet, or train.jsonl): "question", "answer"',
  defaultLimit: 1000,
  async *convert(rows) {
    for await (const src of rows) {
      yield example("gsm8k", `gsm8k_${src.index}`, requireString(src, "question"), requireString(src, "answer"));
    }
  },
};
