// The lab's world and data: deterministic, no evaluation creature's facts in tuning data, the chat
// template never in pretraining, prose-only creatures never answered about in Q&A layouts.
import { describe, expect, it } from "vitest";
import { labPrompts, pretrainingDocs, tuningSets } from "../../../src/lab/corpus.js";
import { makeWorld, inGroup, TASKS } from "../../../src/lab/world.js";

const NAME = /\b[A-Z][a-z][a-z][a-z]\b/g;

describe("lab world", () => {
  const w = makeWorld({ seed: 1 });
  const docs = pretrainingDocs(w, { tokens: 60_000 });

  it("is deterministic from its seed, and seeds differ", () => {
    expect(makeWorld({ seed: 1 })).toEqual(w);
    expect(pretrainingDocs(makeWorld({ seed: 1 }), { tokens: 60_000 })).toEqual(docs);
    expect(makeWorld({ seed: 2 }).creatures.map((c) => c.name)).not.toEqual(w.creatures.map((c) => c.name));
    expect(tuningSets(makeWorld({ seed: 1 }))).toEqual(tuningSets(w));
  });

  it("has the groups it says, unique names, and friends that exist", () => {
    expect(w.creatures).toHaveLength(120);
    expect(inGroup(w, "tune")).toHaveLength(40);
    expect(inGroup(w, "dev")).toHaveLength(10);
    expect(inGroup(w, "evalQa")).toHaveLength(50);
    expect(inGroup(w, "evalProse")).toHaveLength(20);
    expect(new Set(w.creatures.map((c) => c.name)).size).toBe(120);
    for (const c of w.creatures) expect(w.byName.get(c.friend)).toBeDefined(), expect(c.friend).not.toBe(c.name);
  });

  it("tunes only on tuning creatures: each row speaks of its creature and at most names its friend", () => {
    for (const [set, rows] of Object.entries(tuningSets(w))) {
      expect(rows.length, set).toBeGreaterThan(0);
      for (const r of rows) {
        const text = r.messages.map((m) => m.content).join(" ");
        const names = [...new Set(text.match(NAME))].filter((n) => w.byName.has(n));
        const subject = w.byName.get(names[0])!;
        expect(subject.group, `${set}: ${text}`).toBe("tune");
        for (const n of names.slice(1)) expect(n, `${set}: ${text}`).toBe(subject.friend);
      }
    }
  });

  it("evaluates held-out creatures only; dev creatures are neither tuned on nor evaluated", () => {
    const p = labPrompts(w);
    expect(p.eval).toHaveLength(70 * TASKS.length);
    expect(new Set(p.eval.map((x) => x.group))).toEqual(new Set(["evalQa", "evalProse"]));
    expect(new Set(p.dev.map((x) => x.group))).toEqual(new Set(["dev"]));
    const tuned = new Set(Object.values(tuningSets(w)).flatMap((rows) => rows.map((r) => r.id.split("-")[0])));
    for (const x of [...p.dev, ...p.eval]) expect(tuned.has(x.creature)).toBe(false);
  });

  it("never shows the chat template in pretraining, but shows the words it is made of", () => {
    for (const d of docs) expect(d).not.toMatch(/<\||\|>|<\|user\|>|<\|assistant\|>/);
    expect(docs.some((d) => /^user: /m.test(d))).toBe(true);
    expect(docs.some((d) => /^assistant: /m.test(d))).toBe(true);
  });

  it("answers questions about prose-only creatures nowhere in pretraining", () => {
    const prose = new Set(inGroup(w, "evalProse").map((c) => c.name));
    // Every answered question: "<question>?\n<answer prefix> …" or "<question>? <answer>" on one line.
    for (const d of docs) {
      const lines = d.split("\n");
      lines.forEach((line, i) => {
        const q = /([^:]*\?)\s*(.*)$/.exec(line);
        if (!q) return;
        const answered =
          q[2].trim() !== "" ||
          /^(A: |answer: |assistant:|\[assistant\] |<assistant>$|\(assistant\) |the helper said: |[A-Z][a-z]{3} replied: )/.test(
            lines[i + 1] ?? "",
          );
        const asked = (q[1].match(NAME) ?? []).filter((n) => w.byName.has(n));
        if (answered) for (const n of asked) expect(prose.has(n), `${line} / ${lines[i + 1]}`).toBe(false);
      });
    }
  });
});
