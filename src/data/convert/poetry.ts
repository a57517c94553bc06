import { example, optionalText, type Converter } from "./types.js";

/**
 * merve/poetry `poetry.csv`: user = "Write a poem called " + `poem name`, assistant = `content`. Rows
 * without a name are skipped as in the paper (571 of 573 remain); ids keep the source row number.
 */
export const poetry: Converter = {
  reads: 'merve/poetry poetry.csv: "poem name", "content"',
  defaultLimit: 1000,
  async *convert(rows, ctx) {
    let unnamed = 0;
    let noContent = 0;
    try {
      for await (const src of rows) {
        const name = optionalText(src, "poem name");
        if (name === null) {
          unnamed++;
          continue;
        }
        const content = optionalText(src, "content");
        if (content === null) {
          noContent++;
          continue;
        }
        yield example("merve_poetry", `merve_poetry_${src.index}`, `Write a poem called ${name}`, content);
      }
    } finally {
      if (unnamed) ctx.note(`skipped ${unnamed} row(s) without a poem name (as the paper does)`);
      if (noContent) ctx.note(`skipped ${noContent} row(s) without content`);
    }
  },
};
