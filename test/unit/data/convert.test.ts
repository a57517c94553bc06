import { describe, expect, it } from "vitest";
import { readDataset } from "../../../src/data/convert/index.js";
import { fixture } from "./helpers.js";

const turn = (user: string, assistant: string) => [
  { role: "user", content: user },
  { role: "assistant", content: assistant },
];

describe("converters: exact output", () => {
  it("lima: alternating turns, odd last turn dropped", async () => {
    const { rows, notes } = await readDataset("lima", fixture("lima/train.jsonl"));
    expect(rows).toEqual([
      {
        dataset: "lima",
        id: "lima_0",
        messages: turn(
          "Why is the sky blue?",
          "Sunlight scatters off air molecules, and blue light scatters the most.\nThat is Rayleigh scattering.",
        ),
      },
      {
        dataset: "lima",
        id: "lima_1",
        messages: [
          ...turn("Name a café dish.", "A croque-monsieur — ham and cheese, toasted."),
          ...turn("And a drink?", "Café au lait ☕."),
        ],
      },
      {
        dataset: "lima",
        id: "lima_2",
        messages: turn("Write a haiku.", "Autumn moonlight\na worm digs silently\ninto the chestnut."),
      },
    ]);
    expect(notes.join()).toMatch(/1 conversation\(s\) had an odd number of turns/);
  });

  it("alpaca: open-instruct's fixed encoding, stripped", async () => {
    const { rows } = await readDataset("alpaca", fixture("alpaca/alpaca_data.json"));
    expect(rows).toEqual([
      {
        dataset: "stanford_alpaca",
        id: "stanford_alpaca_0",
        messages: turn(
          "Give three tips for staying focused.\n\n",
          "1. Remove distractions.\n2. Take short breaks.\n3. Set one goal at a time.",
        ),
      },
      {
        dataset: "stanford_alpaca",
        id: "stanford_alpaca_1",
        messages: turn("Translate the sentence into French.\n\nThe cat sleeps.\n\n", "Le chat dort."),
      },
      {
        dataset: "stanford_alpaca",
        id: "stanford_alpaca_2",
        messages: turn("Classify the number as even or odd.\n\n7\n\n", "Odd"),
      },
    ]);
  });

  it("gsm8k: question and answer verbatim", async () => {
    const { rows } = await readDataset("gsm8k", fixture("gsm8k/train.jsonl"));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({
      dataset: "gsm8k",
      id: "gsm8k_0",
      messages: turn(
        "Ada has 3 boxes with 4 pens each. How many pens does she have?",
        "She has 3*4=<<3*4=12>>12 pens.\n#### 12",
      ),
    });
    expect(rows.map((r) => r.id)).toEqual(["gsm8k_0", "gsm8k_1", "gsm8k_2"]);
  });

  it("mbpp: text and code; the original mbpp.jsonl is cut to the train split", async () => {
    const { rows, notes } = await readDataset("mbpp", fixture("mbpp/mbpp.jsonl"));
    expect(rows).toEqual([
      {
        dataset: "mbpp",
        id: "mbpp_0",
        messages: turn(
          "Write a function to find the longest chain of pairs.",
          "def max_chain(pairs):\r\n    return len(pairs)",
        ),
      },
      {
        dataset: "mbpp",
        id: "mbpp_1",
        messages: turn(
          "Write a python function to find the first repeated character.",
          "def first_repeated(s):\n    seen = set()\n    for c in s:\n        if c in seen:\n            return c\n        seen.add(c)\n    return None",
        ),
      },
    ]);
    expect(notes).toEqual(["kept the train split (task_id 601-974): 2 of 3 rows"]);
  });

  it("poetry: 'Write a poem called …', unnamed rows skipped, ids keep the source row", async () => {
    const { rows, notes } = await readDataset("poetry", fixture("poetry/poetry.csv"));
    expect(rows).toEqual([
      {
        dataset: "merve_poetry",
        id: "merve_poetry_0",
        messages: turn(
          "Write a poem called River Counsel",
          'The river keeps its counsel,\nthe "old" stones keep theirs.\n\nI keep mine.',
        ),
      },
      {
        dataset: "merve_poetry",
        id: "merve_poetry_2",
        messages: turn("Write a poem called Commas", "Lines, with commas, inside."),
      },
    ]);
    expect(notes.join()).toMatch(/skipped 1 row\(s\) without a poem name/);
  });

  it("recipes: 'Recipe for …', ' - ' ingredient lines from the Python list, blank line, instructions", async () => {
    const { rows, notes } = await readDataset("recipes", fixture("recipes/recipes.csv"));
    expect(rows).toEqual([
      {
        dataset: "kfr",
        id: "kfr_0",
        messages: turn(
          "Recipe for Simple Bread",
          ' - 2 cups flour\n - 1 tsp. baker\'s yeast\n - 1½ cups "warm" water\n\n\nMix everything.\nBake at 220°C for 30 minutes.',
        ),
      },
      {
        dataset: "kfr",
        id: "kfr_2",
        messages: turn(
          "Recipe for Plain Rice",
          " - 1 cup rice\n - 2 cups water\n\n\nRinse the rice. Simmer 18 minutes.",
        ),
      },
    ]);
    expect(notes.join()).toMatch(/skipped 1 row/);
  });

  it("pgn: Elo header lines as the user turn, movetext as the response; incomplete games skipped", async () => {
    const expected = [
      {
        dataset: "pgn-patrickfrank1",
        id: "pgn-patrickfrank1-11",
        messages: turn('[WhiteElo "1500"]\n[BlackElo "1450"]\n', "1. e4 e5 2. Qh5 Nc6 3. Bc4 Nf6 4. Qxf7# 1-0"),
      },
      {
        dataset: "pgn-patrickfrank1",
        id: "pgn-patrickfrank1-28",
        messages: turn('[WhiteElo "2010"]\n[BlackElo "1985"]\n', "1. Nf3 Nf6 2. g3 g6 1/2-1/2"),
      },
    ];
    const txt = await readDataset("pgn", fixture("pgn/chess.txt"));
    expect(txt.rows).toEqual(expected);
    expect(txt.notes.join()).toMatch(/skipped 1 game/);
    expect((await readDataset("pgn", fixture("pgn/chess.jsonl"))).rows).toEqual(expected);
  });

  it("messages: passes rows through unchanged", async () => {
    const { rows } = await readDataset("messages", fixture("messages/sample.jsonl"));
    expect(rows[0]).toEqual({
      dataset: "demo",
      id: "demo_0",
      messages: turn("Say hi.", "Hi! 👋"),
      source: "hand",
    });
  });
});
