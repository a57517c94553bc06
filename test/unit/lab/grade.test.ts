// The lab grader on hand-written outputs: each grade, each task, and the chance floors.
import { describe, expect, it } from "vitest";
import { chanceOf, gradeOutput, summarize } from "../../../src/lab/grade.js";
import { ATTRIBUTES, makeWorld, type Task } from "../../../src/lab/world.js";

const w = makeWorld({ seed: 1 });
const c = w.creatures.find((x) => x.group === "evalQa")!;
const other = (attr: "colour" | "home" | "food") => ATTRIBUTES[attr].find((v) => v !== c[attr])!;
const p = (task: Task) => ({ instruction: "", creature: c.name, task, group: c.group });
const g = (task: Task, out: string, stopped = true) => gradeOutput(w, p(task), out, stopped);
const friend = w.byName.get(c.friend)!;
const stranger = w.creatures.find((x) => x.name !== c.name && x.name !== c.friend)!;

describe("lab grader", () => {
  it("grades a clean right answer as strict", () => {
    expect(g("colour", `${c.name} is ${c.colour}.`)).toEqual({ correct: true, stopped: true, clean: true, strict: true, rightType: true, namesEntity: true });
    expect(g("home", `the ${c.home}.`)).toMatchObject({ strict: true, namesEntity: false });
    expect(g("food", `${c.name} likes to eat ${c.food}.`).strict).toBe(true);
    expect(g("friend", `${c.name}'s friend is ${friend.name}.`).strict).toBe(true);
  });

  it("takes the first answer of the asked type", () => {
    expect(g("colour", `${c.name} is ${other("colour")}. no, ${c.colour}.`).correct).toBe(false);
    expect(g("colour", `${c.name} lives in the ${other("home")}. ${c.name} is ${c.colour}.`)).toMatchObject({ correct: true, rightType: false });
    expect(g("friend", `${c.name} plays with ${stranger.name} and ${friend.name}.`).correct).toBe(false);
  });

  it("is not strict without stopping, with a question, or with a new turn", () => {
    expect(g("colour", `${c.name} is ${c.colour}.`, false)).toMatchObject({ correct: true, stopped: false, clean: false, strict: false });
    expect(g("colour", `${c.name} is ${c.colour}. what colour is ${friend.name}?`)).toMatchObject({ correct: true, clean: false, strict: false });
    expect(g("colour", `${c.colour}.\nuser: where does ${friend.name} live`).strict).toBe(false);
    expect(g("colour", `${c.colour}. <|user|>`).strict).toBe(false);
  });

  it("grades descriptions: two right values, none wrong, the creature named", () => {
    expect(g("about", `${c.name} is a ${c.colour} ${c.kind}. ${c.name} lives in the ${c.home}.`).strict).toBe(true);
    expect(g("about", `it is a ${c.colour} ${c.kind}. it lives in the ${c.home}.`)).toMatchObject({ correct: false, rightType: true });
    expect(g("about", `${c.name} is ${c.colour}. ${c.name} lives in the ${c.home}. ${c.name} eats ${other("food")}.`).correct).toBe(false);
    expect(g("about", `${c.name} is ${c.colour}.`)).toMatchObject({ correct: false, rightType: false });
  });

  it("computes chance from the world, and type-matched chance from the outputs", () => {
    const colourFreq = w.creatures.filter((x) => x.colour === c.colour).length / w.creatures.length;
    expect(chanceOf(w, p("colour"))).toBeCloseTo(colourFreq, 12);
    expect(chanceOf(w, p("friend"))).toBeCloseTo(1 / 119, 12);
    const s = summarize(w, [p("colour"), p("friend")], [g("colour", `${c.colour}.`), g("friend", "i do not know.")]);
    expect(s).toMatchObject({ n: 2, strict: 0.5, rightType: 0.5 });
    expect(s.chance).toBeCloseTo((colourFreq + 1 / 119) / 2, 12);
    expect(s.typeMatchedChance).toBeCloseTo(colourFreq / 2, 12);
  });
});
