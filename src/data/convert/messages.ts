import { parseMessagesRow } from "../messages.js";
import type { Converter } from "./types.js";

/** Data already in the messages format (e.g. lima_data.jsonl): validated and passed through unchanged. */
export const messages: Converter = {
  reads: 'open-instruct messages JSONL: "id", "messages" [{"role", "content"}], optional "dataset"',
  async *convert(rows) {
    for await (const src of rows) yield parseMessagesRow(src.row, src.where);
  },
};
