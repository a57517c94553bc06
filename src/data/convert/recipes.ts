import { parsePythonStringList } from "./pyliteral.js";
import { example, malformedRow, optionalText, type Converter } from "./types.js";

/**
 * Hieu-Pham/kaggle_food_recipes (the Kaggle "Food Ingredients and Recipe Dataset" CSV): user =
 * "Recipe for " + `Title`; assistant = " - {ingredient}\n" for each entry of `Cleaned_Ingredients`
 * (a Python list literal), then "\n\n", then `Instructions`. Rows missing any of the three are skipped
 * and counted (the paper's first 1000 rows have none; its script would crash on one).
 */
export const recipes: Converter = {
  reads: 'Hieu-Pham/kaggle_food_recipes CSV: "Title", "Instructions", "Cleaned_Ingredients"',
  defaultLimit: 1000,
  async *convert(rows, ctx) {
    let incomplete = 0;
    try {
      for await (const src of rows) {
        const title = optionalText(src, "Title");
        const instructions = optionalText(src, "Instructions");
        const cleaned = optionalText(src, "Cleaned_Ingredients");
        if (title === null || instructions === null || cleaned === null) {
          incomplete++;
          continue;
        }
        let ingredients: string[];
        try {
          ingredients = parsePythonStringList(cleaned);
        } catch (e) {
          throw malformedRow(src, `"Cleaned_Ingredients" is not a Python list of strings (${(e as Error).message})`);
        }
        const recipe = ingredients.map((x) => ` - ${x}\n`).join("") + "\n\n" + instructions;
        yield example("kfr", `kfr_${src.index}`, `Recipe for ${title}`, recipe);
      }
    } finally {
      if (incomplete) ctx.note(`skipped ${incomplete} row(s) missing a title, instructions or ingredients`);
    }
  },
};
