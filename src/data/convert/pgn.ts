import { requireString, type Converter } from "./types.js";

/**
 * patrickfrank1/chess-pgn-games: one record per line of PGN text (`text`). As the paper's script does,
 * a game is its `[WhiteElo …]` and `[BlackElo …]` header lines (user: the two lines, each followed by
 * "\n") and the movetext line starting "1. " (assistant). Games lacking either Elo header are skipped
 * (the paper's script asserts instead). Ids are `pgn-patrickfrank1-{line of the movetext}`.
 */
export const pgn: Converter = {
  reads: 'patrickfrank1/chess-pgn-games train (text file, or Parquet/JSONL with "text"): one PGN line per record',
  defaultLimit: 1000,
  async *convert(rows, ctx) {
    let white: string | null = null;
    let black: string | null = null;
    let incomplete = 0;
    try {
      for await (const src of rows) {
        const text = requireString(src, "text");
        if (text.includes("WhiteElo")) white = text;
        else if (text.includes("BlackElo")) black = text;
        else if (text.startsWith("1. ")) {
          if (white !== null && black !== null) {
            yield {
              dataset: "pgn-patrickfrank1",
              id: `pgn-patrickfrank1-${src.index}`,
              messages: [
                { role: "user", content: `${white}\n${black}\n` },
                { role: "assistant", content: text },
              ],
            };
          } else incomplete++;
          white = black = null;
        }
      }
    } finally {
      if (incomplete) ctx.note(`skipped ${incomplete} game(s) without both Elo headers`);
    }
  },
};
