import { example, optionalText, requireString, type Converter } from "./types.js";

/**
 * Stanford Alpaca `alpaca_data.json` (a JSON array of `instruction`, `input`, `output`), in
 * open-instruct's deterministic encoding: user = instruction + "\n\n" (+ input + "\n\n" when there is
 * one), assistant = output, all stripped. open-instruct's default draws one of many prompt templates at
 * random from a generator shared with other datasets, which cannot be reproduced; the fixed one is
 * its documented alternative. Ids are `stanford_alpaca_{row}`.
 */
export const alpaca: Converter = {
  reads: 'Stanford Alpaca alpaca_data.json: "instruction", "input", "output"',
  async *convert(rows) {
    for await (const src of rows) {
      const instruction = requireString(src, "instruction").trim();
      const input = "input" in src.row ? optionalText(src, "input")?.trim() : undefined;
      const output = requireString(src, "output").trim();
      const user = input ? `${instruction}\n\n${input}\n\n` : `${instruction}\n\n`;
      yield example("stanford_alpaca", `stanford_alpaca_${src.index}`, user, output);
    }
  },
};
