// The lab grader on hand-written outputs: each grade, each task, and the chance floors.
import { describe, expect, it } from "vitest";
import { chanceOf, gradeOutput, summarize } from "../../../src/lab/grade.js";
import { tuningSets } from "../../../src/lab/corpus.js";
import { fill, QA_LAYOUTS, qaLayout, question, SPEAKERS } from "../../../src/lab/text.js";
import { newTurn } from "../../../src/lab/turns.js";
import { ATTRIBUTES, makeWorld, type Creature, type Task, type World } from "../../../src/lab/world.js";

const w = makeWorld({ seed: 1 });
const c = w.creatures.find((x) => x.group === "evalQa")!;
const other = (attr: "colour" | "home" | "food") => ATTRIBUTES[attr].find((v) => v !== c[attr])!;
const p = (task: Task) => ({ instruction: "", creature: c.name, task, group: c.group });
const g = (task: Task, out: string, stopped = true) => gradeOutput(w, p(task), out, stopped);
const friend = w.byName.get(c.friend)!;
const stranger = w.creatures.find((x) => x.name !== c.name && x.name !== c.friend)!;

describe("lab grader", () => {
  it("grades a clean right answer as strict", () => {
    expect(g("colour", `${c.name} is ${c.colour}.`)).toEqual({
      correct: true,
      stopped: true,
      clean: true,
      strict: true,
      rightType: true,
      namesEntity: true,
    });
    expect(g("home", `the ${c.home}.`)).toMatchObject({ strict: true, namesEntity: false });
    expect(g("food", `${c.name} likes to eat ${c.food}.`).strict).toBe(true);
    expect(g("friend", `${c.name}'s friend is ${friend.name}.`).strict).toBe(true);
  });

  it("takes the first answer of the asked type", () => {
    expect(g("colour", `${c.name} is ${other("colour")}. no, ${c.colour}.`).correct).toBe(false);
    expect(g("colour", `${c.name} lives in the ${other("home")}. ${c.name} is ${c.colour}.`)).toMatchObject({
      correct: true,
      rightType: false,
    });
    expect(g("friend", `${c.name} plays with ${stranger.name} and ${friend.name}.`).correct).toBe(false);
  });

  it("is not strict without stopping, with a question, or with a new turn", () => {
    expect(g("colour", `${c.name} is ${c.colour}.`, false)).toMatchObject({
      correct: true,
      stopped: false,
      clean: false,
      strict: false,
    });
    expect(g("colour", `${c.name} is ${c.colour}. what colour is ${friend.name}?`)).toMatchObject({
      correct: true,
      clean: false,
      strict: false,
    });
    expect(g("colour", `${c.colour}.\nuser: where does ${friend.name} live`).strict).toBe(false);
    expect(g("colour", `${c.colour}. <|user|>`).strict).toBe(false);
  });

  it("grades descriptions: two right values, none wrong, the creature named", () => {
    expect(g("about", `${c.name} is a ${c.colour} ${c.kind}. ${c.name} lives in the ${c.home}.`).strict).toBe(true);
    expect(g("about", `it is a ${c.colour} ${c.kind}. it lives in the ${c.home}.`)).toMatchObject({
      correct: false,
      rightType: true,
    });
    expect(
      g("about", `${c.name} is ${c.colour}. ${c.name} lives in the ${c.home}. ${c.name} eats ${other("food")}.`)
        .correct,
    ).toBe(false);
    expect(g("about", `${c.name} is ${c.colour}.`)).toMatchObject({ correct: false, rightType: false });
  });

  it("computes chance from the world, and type-matched chance from the outputs", () => {
    const colourFreq = w.creatures.filter((x) => x.colour === c.colour).length / w.creatures.length;
    expect(chanceOf(w, p("colour"))).toBeCloseTo(colourFreq, 12);
    expect(chanceOf(w, p("friend"))).toBeCloseTo(1 / (w.creatures.length - 1), 12);
    const s = summarize(w, [p("colour"), p("friend")], [g("colour", `${c.colour}.`), g("friend", "i do not know.")]);
    expect(s).toMatchObject({ n: 2, strict: 0.5, rightType: 0.5 });
    expect(s.chance).toBeCloseTo((colourFreq + 1 / (w.creatures.length - 1)) / 2, 12);
    expect(s.typeMatchedChance).toBeCloseTo(colourFreq / 2, 12);
  });
});

// Hand-written outputs, graded as a person would grade them, in a world of their own: Zene is a green owl
// living in the cave, eating honey, whose friend is Nodo; Sisa is a purple bear in the hill who eats cheese.
// [task, output, correct, clean, asked colour (yes/no)] (stopped unless the output ends in "…")
const creature = (id: number, name: string, f: Omit<Creature, "id" | "name" | "group">): Creature => ({
  id,
  name,
  ...f,
  group: "evalQa",
});
const tableCreatures = [
  creature(0, "Zene", { colour: "green", home: "cave", food: "honey", kind: "owl", friend: "Nodo" }),
  creature(1, "Sisa", { colour: "purple", home: "hill", food: "cheese", kind: "bear", friend: "Piku" }),
  creature(2, "Nodo", { colour: "orange", home: "farm", food: "fish", kind: "cat", friend: "Zene" }),
  creature(3, "Piku", { colour: "red", home: "lake", food: "nuts", kind: "dog", friend: "Sisa" }),
];
const tableWorld: World = {
  seed: 0,
  creatures: tableCreatures,
  byName: new Map(tableCreatures.map((x) => [x.name, x])),
};
const TABLE: [Task, string, boolean, boolean, string?][] = [
  ["colour", "the colour of Zene is green.", true, true],
  ["colour", "green.", true, true],
  ["colour", "Green.", true, true],
  ["colour", "GREEN", true, true],
  ["colour", "Zene is GREEN.", true, true],
  ["colour", "Zene has green fur.", true, true],
  ["colour", "Zene is a green owl.", true, true],
  ["colour", "Zene is green. Zene is green.", true, true],
  ["colour", "Zene lives in the cave. Zene is green.", true, true],
  ["colour", "Zene is green. Nodo is orange.", true, true],
  ["colour", "not red, it is green.", true, true],
  ["colour", "green, red, blue.", false, true],
  ["colour", "Zene is green or red.", false, true],
  ["colour", "Sisa is green.", false, true],
  ["colour", "Sisa is purple.", false, true],
  ["colour", "not green, it is red.", false, true],
  ["colour", "Zene is not green.", false, true],
  ["colour", "Zene is red. no, green.", false, true],
  ["colour", "Zene is green…", true, false],
  ["colour", "the colour of Zene is green. tell me about Sisa.", true, false],
  ["colour", "green. describe Sisa.", true, false],
  ["colour", "green. thanks, that helps.", true, false],
  ["colour", "green. thank you!", true, false],
  ["colour", "green.\nSisa asked: what colour is Nodo", true, false],
  ["colour", "green.\nsomeone asked: where does Nodo live", true, false],
  ["colour", "green.\nQ: describe Nodo.", true, false],
  ["colour", "green.\nthe helper said: Nodo is orange.", true, false],
  ["colour", "green.\nAssistant: Zene is green.", true, false],
  ["colour", "green.\nAssistant:", true, false],
  ["colour", "green.\nuser: where does Nodo live", true, false],
  ["colour", "green.\n[user] what colour is Nodo", true, false],
  ["colour", "green.\nquestion: what is the colour of Nodo", true, false],
  ["colour", "green. what colour is Nodo?", true, false],
  ["colour", "green.\n<user>\n", true, false],
  ["colour", "green.\n<|user|>", true, false],
  ["colour", "green. more questions soon.", true, false],
  ["home", "the cave.", true, true],
  ["home", "Zene lives in the CAVE.", true, true],
  ["home", "the home of Zene is the cave.", true, true],
  ["home", "Zene lives in the cave or the hill.", false, true],
  ["home", "the hill.", false, true],
  ["home", "Nodo lives in the cave.", false, true],
  ["home", "the home of Zene is the cave.\nanswer: the farm.", false, false],
  ["food", "honey.", true, true],
  ["food", "Zene likes to eat Honey.", true, true],
  ["food", "Zene does not eat apples. Zene eats honey.", true, true],
  ["food", "honey and apples.", false, true],
  ["food", "Zene eats honey and apples.", false, true],
  ["food", "Zene eats cheese.", false, true],
  ["food", "Sisa eats honey.", false, true],
  ["friend", "Nodo.", true, true],
  ["friend", "nodo.", true, true],
  ["friend", "it is Nodo.", true, true],
  ["friend", "Zene's friend is Nodo.", true, true],
  ["friend", "zene's friend is nodo.", true, true],
  ["friend", "the friend of Zene is Nodo.", true, true],
  ["friend", "Zene plays with Nodo.", true, true],
  ["friend", "Zene plays with Nodo. Nodo is orange.", true, true],
  ["friend", "Nodo.\nNodo replied: Zene is green.", true, false],
  ["friend", "Nodo and Sisa.", false, true],
  ["friend", "Zene plays with Nodo and Sisa.", false, true],
  ["friend", "Sisa.", false, true],
  ["friend", "Zene's friend is Sisa.", false, true],
  ["friend", "Sisa's friend is Piku.", false, true],
  ["about", "Zene is a green owl. Zene lives in the cave. Zene eats honey.", true, true],
  ["about", "zene is a Green owl. it lives in the cave.", true, true],
  ["about", "Zene is a green owl. Zene lives in the cave. Zene's friend is Nodo.", true, true],
  ["about", "Zene is a green owl. Zene eats honey. Nodo lives in the farm.", true, true],
  ["about", "Zene is green. Zene lives in the cave. Zene eats honey.\ncan you tell me about Nodo", true, false],
  ["about", "Zene is a green cat. Zene lives in the cave. Zene eats honey.", false, true],
  ["about", "Zene is a green owl. Zene lives in the cave. Zene's friend is Sisa.", false, true],
  ["about", "Zene is a green owl. Sisa lives in the cave. Sisa eats honey.", false, true],
  ["about", "Sisa is a purple bear. Sisa lives in the hill. Sisa eats cheese.", false, true],
  ["about", "Zene is a green owl. Zene lives in the cave or the hill.", false, true],
  ["about", "Zene is a green owl.", false, true],
  ["about", "the a dog. Zene lives in the cave. Zene eats honey.", false, true],
  ["about", "Zene is green and lives in the cave.", true, true],
  ["about", "Zene is green and lives in the hill.", false, true],
  ["kind", "a owl.", true, true],
  ["kind", "an owl.", true, true],
  ["kind", "Zene is an OWL.", true, true],
  ["kind", "Zene is a green owl.", true, true],
  ["kind", "Zene is a cat.", false, true],
  ["kind", "an owl or a cat.", false, true],
  ["kind", "Sisa is an owl.", false, true],
  ["kind", "Zene is a bear. no, an owl.", false, true],
  ["kind", "an owl.\nwhat animal is Nodo", true, false],
  ["yesno", "yes.", true, true, "green"],
  ["yesno", "Yes", true, true, "green"],
  ["yesno", "yes, Zene is green.", true, true, "green"],
  ["yesno", "Zene is green.", true, true, "green"],
  ["yesno", "green.", true, true, "green"],
  ["yesno", "no.", false, true, "green"],
  ["yesno", "no, Zene is red.", false, true, "green"],
  ["yesno", "yes and no.", false, true, "green"],
  ["yesno", "yes, Sisa is green.", false, true, "green"],
  ["yesno", "no.", true, true, "red"],
  ["yesno", "NO", true, true, "red"],
  ["yesno", "no, Zene is green.", true, true, "red"],
  ["yesno", "Zene is not red.", true, true, "red"],
  ["yesno", "Zene is green.", true, true, "red"],
  ["yesno", "no, Zene is purple.", false, true, "red"],
  ["yesno", "yes.", false, true, "red"],
  ["yesno", "yes, Zene is red.", false, true, "red"],
  ["yesno", "no, Sisa is purple.", false, true, "red"],
  ["yesno", "no.\nuser: is Nodo red", true, false, "red"],
  ["yesno", "no. would you say Nodo is orange", true, false, "red"],
];

describe("lab grader: hand-written outputs, as a person grades them", () => {
  it("has at least 60 cases, every task among them", () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(60);
    expect(new Set(TABLE.map((r) => r[0]))).toEqual(
      new Set(["colour", "home", "food", "friend", "about", "kind", "yesno"]),
    );
  });

  it.each(TABLE)("%s: %j → correct %s, clean %s (asked %s)", (task, text, correct, clean, value) => {
    const stopped = !text.endsWith("…");
    const out = stopped ? text : text.slice(0, -1);
    const prompt = { instruction: "", creature: "Zene", task, group: "evalQa", ...(value && { value }) };
    const got = gradeOutput(tableWorld, prompt, out, stopped);
    expect({ correct: got.correct, clean: got.clean, strict: got.strict }).toEqual({
      correct,
      clean,
      strict: correct && clean,
    });
  });
});

describe("lab grader: the corpus's own layouts", () => {
  it("sees a new turn in every speaker wrapper and Q&A layout of the corpus", () => {
    const q = question(c, "colour", 0);
    for (const [user, assistant] of SPEAKERS) {
      for (const role of [user, assistant])
        expect(newTurn(`${c.colour}.\n${fill(role, () => friend.name)}${q}`), role).not.toBeNull();
    }
    for (const layout of QA_LAYOUTS)
      expect(newTurn(`${c.colour}.\n${qaLayout(layout, q, "")}`.replace("?", "")), layout).not.toBeNull();
  });

  it("grades every answer of the instruction-tuning set strict, on several worlds", () => {
    for (const seed of [1, 2, 3]) {
      const ws = makeWorld({ seed });
      for (const r of tuningSets(ws).instruct) {
        const [creature, task] = r.id.split("-") as [string, Task];
        const answer = r.messages[1].content;
        const got = gradeOutput(ws, { instruction: "", creature, task, group: "tune" }, answer, true);
        expect(got.strict, `${answer} (${task})`).toBe(true);
      }
    }
  });
});

describe("lab grader: names in lower case", () => {
  it("reads a lower-case word as a name only when the lab's sentences never use it (world 6 has a creature Live)", () => {
    const w6 = makeWorld({ seed: 6 });
    expect(w6.byName.has("Live")).toBe(true);
    const x = w6.creatures.find((y) => y.name !== "Live" && y.friend !== "Live")!;
    const ask = (task: Task, out: string) =>
      gradeOutput(w6, { instruction: "", creature: x.name, task, group: x.group }, out, true);
    // "live" is the verb of "where does X live?": the colour stays the asked creature's.
    expect(ask("colour", `they live. it is ${x.colour}.`).correct).toBe(true);
    expect(ask("colour", `Live is ${x.colour}.`).correct).toBe(false);
    expect(ask("friend", `${x.friend.toLowerCase()}.`).correct).toBe(true);
  });
});
