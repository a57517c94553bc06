// The lab's world and data: deterministic, no evaluation creature's facts in tuning data, the chat
// template never in pretraining, prose-only creatures never answered about in Q&A layouts.
import { describe, expect, it } from "vitest";
import { FIT_PHRASINGS, fitPrompts, labPrompts, pretrainingDocs, tuningSets } from "../../../src/lab/corpus.js";
import { PHRASINGS, pageAnswer, QUESTIONS } from "../../../src/lab/text.js";
import { seededRandom } from "../../../src/util/random.js";
import {
  ATTRIBUTES,
  HELD_OUT_TASKS,
  inGroup,
  makeWorld,
  TASKS,
  TUNED_TASKS,
  type Task,
} from "../../../src/lab/world.js";

const NAME = /\b[A-Z][a-z][a-z][a-z]\b/g;
/** An answer that is a creature's name and nothing else. */
const BARE_NAME = /^[A-Z][a-z]{3}\.$/;

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
    expect(w.creatures).toHaveLength(130);
    expect(inGroup(w, "tune")).toHaveLength(40);
    expect(inGroup(w, "dev")).toHaveLength(20);
    expect(inGroup(w, "evalQa")).toHaveLength(50);
    expect(inGroup(w, "evalProse")).toHaveLength(20);
    expect(new Set(w.creatures.map((c) => c.name)).size).toBe(130);
    for (const c of w.creatures) expect(w.byName.get(c.friend)).toBeDefined(), expect(c.friend).not.toBe(c.name);
  });

  it("tunes only on tuning creatures: each row speaks of its creature and at most names its friend", () => {
    for (const [set, rows] of Object.entries(tuningSets(w))) {
      expect(rows.length, set).toBeGreaterThan(0);
      for (const r of rows) {
        const text = r.messages.map((m) => m.content).join(" ");
        const names = [...new Set(text.match(NAME))].filter((n) => w.byName.has(n));
        if (set === "single-count") expect(names, text).toEqual([]); // numbers only
        if (!names.length) continue;
        const subject = w.byName.get(names[0])!;
        expect(subject.group, `${set}: ${text}`).toBe("tune");
        for (const n of names.slice(1)) expect(n, `${set}: ${text}`).toBe(subject.friend);
      }
    }
  });

  it("answers as pages do: a friend never as a bare name, yes/no with the colour before the verdict", () => {
    const r = seededRandom(7);
    const c = w.creatures[0];
    const other = ATTRIBUTES.colour.find((v) => v !== c.colour)!;
    for (let i = 0; i < 200; i++) {
      expect(pageAnswer(r, c, "friend")).not.toMatch(BARE_NAME);
      expect(pageAnswer(r, c, "friend")).toContain(c.friend);
      expect(pageAnswer(r, c, "yesno", c.colour)).toMatch(new RegExp(`${c.name}.* ${c.colour}( fur)?, so yes\\.$`));
      expect(pageAnswer(r, c, "yesno", other)).toMatch(new RegExp(`${c.name}.* ${c.colour}( fur)?, so no\\.$`));
    }
  });

  it("never answers with a bare name in the instruction-tuning set (the base copies the asked one)", () => {
    const { instruct } = tuningSets(w);
    expect(instruct.map((r) => r.messages[1].content).filter((a) => BARE_NAME.test(a))).toEqual([]);
    // The friend still gets all three fact forms.
    const friend = instruct.filter((r) => r.id.includes("-friend-")).map((r) => r.messages[1].content);
    expect(new Set(friend.map((a) => a.replace(NAME, "X")))).toEqual(
      new Set(["X's friend is X.", "X plays with X.", "the friend of X is X."]),
    );
  });

  it("evaluates held-out creatures only; dev creatures are neither tuned on nor evaluated", () => {
    const p = labPrompts(w);
    expect(p.eval).toHaveLength(70 * TASKS.length);
    expect(new Set(p.eval.map((x) => x.group))).toEqual(new Set(["evalQa", "evalProse"]));
    expect(new Set(p.dev.map((x) => x.group))).toEqual(new Set(["dev"]));
    const tuned = new Set(Object.values(tuningSets(w)).flatMap((rows) => rows.map((r) => r.id.split("-")[0])));
    for (const x of [...p.dev, ...p.eval]) expect(tuned.has(x.creature)).toBe(false);
  });

  /** Every [task, phrasing] a question is written in ("-1" when none). */
  const phrasingsOf = (instruction: string) =>
    (Object.entries(QUESTIONS) as [Task, readonly string[]][]).flatMap(([task, qs]) =>
      qs.flatMap((q, k) => {
        const pattern = q
          .replace(/[.?'()]/g, "\\$&")
          .replace("{X}", "[A-Z][a-z]{3}")
          .replace("{V}", "[a-z]+");
        return new RegExp(`^${pattern}$`).test(instruction) ? [`${task} ${k}`] : [];
      }),
    );
  const p = labPrompts(w);
  const sets = tuningSets(w);

  it("shares no phrasing between tuning sets, dev prompts and eval prompts, for every task", () => {
    const tuned = new Set(sets.instruct.flatMap((r) => phrasingsOf(r.messages[0].content)));
    const dev = new Set(p.dev.flatMap((x) => phrasingsOf(x.instruction)));
    const ev = new Set(p.eval.flatMap((x) => phrasingsOf(x.instruction)));
    expect([...tuned].sort()).toEqual(TUNED_TASKS.flatMap((t) => PHRASINGS.tune.map((k) => `${t} ${k}`)).sort());
    expect([...dev].sort()).toEqual(TUNED_TASKS.flatMap((t) => PHRASINGS.dev.map((k) => `${t} ${k}`)).sort());
    expect([...ev].sort()).toEqual(TASKS.flatMap((t) => PHRASINGS.eval.map((k) => `${t} ${k}`)).sort());
    expect(p.eval.every((x) => phrasingsOf(x.instruction).length === 1)).toBe(true);
    for (const k of ev) expect(tuned.has(k) || dev.has(k), k).toBe(false);
    for (const k of dev) expect(tuned.has(k), k).toBe(false);
  });

  it("fits rules on the dev creatures, every tuned task in each tuning and dev phrasing, no eval phrasing", () => {
    const fit = fitPrompts(w);
    expect(fit).toHaveLength(p.dev.length);
    expect(new Set(fit.map((x) => x.group))).toEqual(new Set(["dev"]));
    const asked = fit.flatMap((x) => phrasingsOf(x.instruction));
    expect(asked).toHaveLength(fit.length);
    const want = TUNED_TASKS.flatMap((t) => FIT_PHRASINGS.map((k) => `${t} ${k}`));
    expect([...new Set(asked)].sort()).toEqual(want.sort());
    // In turn: each task asked about as often in every phrasing (within one), and never an eval phrasing.
    for (const t of TUNED_TASKS) {
      const n = FIT_PHRASINGS.map((k) => asked.filter((a) => a === `${t} ${k}`).length);
      expect(Math.max(...n) - Math.min(...n), t).toBeLessThanOrEqual(1);
    }
    for (const k of PHRASINGS.eval) expect(FIT_PHRASINGS).not.toContain(k);
  });

  it("evaluates task types that no tuning set contains (kind, yes/no), with yes and no in equal measure", () => {
    expect(HELD_OUT_TASKS).toEqual(["kind", "yesno"]);
    const asked = Object.values(sets).flatMap((rows) => rows.flatMap((r) => phrasingsOf(r.messages[0].content)));
    for (const t of HELD_OUT_TASKS) {
      expect(p.eval.filter((x) => x.task === t)).toHaveLength(70);
      expect(asked.filter((k) => k.startsWith(`${t} `))).toEqual([]);
    }
    const yesno = p.eval.filter((x) => x.task === "yesno");
    const yes = yesno.filter((x) => w.byName.get(x.creature)!.colour === x.value).length;
    expect(yes).toBeGreaterThan(25);
    expect(yes).toBeLessThan(45);
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
