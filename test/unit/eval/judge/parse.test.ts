import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  isSwitched,
  outcomeFromChoice,
  preferenceFromLogprobs,
  preferenceFromText,
  preferenceFromTop,
} from "../../../../src/eval/judge/parse.js";
import { defaultTemplate, parseLabels, renderTemplate } from "../../../../src/eval/judge/template.js";
import { sharedDir } from "../../../helpers/fixtures.js";

const L: [string, string] = ["m", "M"];

describe("AlpacaEval's weighted preference", () => {
  it("is 2 − P(first)/(P(first)+P(second)), with absent labels at −∞", () => {
    expect(preferenceFromLogprobs(Math.log(0.3), Math.log(0.1))).toBeCloseTo(2 - 0.75, 12);
    expect(preferenceFromLogprobs(0, -Infinity)).toBe(1);
    expect(preferenceFromLogprobs(-Infinity, -3)).toBe(2);
    expect(preferenceFromLogprobs(-Infinity, -Infinity)).toBeNull();
    expect(preferenceFromLogprobs(-2, -2)).toBe(1.5);
  });

  it("reads the top tokens, summing whitespace variants; neither label present = missing", () => {
    const top = [
      { token: "M", logprob: Math.log(0.5) },
      { token: " M", logprob: Math.log(0.1) },
      { token: "m", logprob: Math.log(0.2) },
      { token: "The", logprob: Math.log(0.1) },
    ];
    const r = preferenceFromTop(top, L);
    expect(r.preference).toBeCloseTo(2 - 0.2 / 0.8, 12);
    expect(r.labelLogprobs[1]).toBeCloseTo(Math.log(0.6), 12);
    expect(preferenceFromTop([{ token: "The", logprob: -0.1 }], L)).toEqual({
      preference: null,
      labelLogprobs: [null, null],
    });
  });

  it("falls back to the answer text only when no logprobs are given", () => {
    expect(outcomeFromChoice({ message: { content: "M" }, logprobs: null }, L).preference).toBe(2);
    expect(outcomeFromChoice({ message: { content: "m" } }, L).preference).toBe(1);
    // Logprobs given but without the labels: missing, as AlpacaEval (the text is not consulted).
    const lp = { content: [{ token: "x", logprob: 0, top_logprobs: [{ token: "x", logprob: 0 }] }] };
    expect(outcomeFromChoice({ message: { content: "m" }, logprobs: lp }, L).preference).toBeNull();
    expect(preferenceFromText(" Output (M).", L)).toBe(2);
    expect(preferenceFromText("I think m is better", L)).toBe(1);
    expect(preferenceFromText("both m and M are fine", L)).toBeNull();
    expect(preferenceFromText("I cannot decide", L)).toBeNull();
    expect(preferenceFromText("", L)).toBeNull();
  });

  it("randomises the order per instruction, deterministically for a seed", () => {
    const ins = Array.from({ length: 200 }, (_, i) => `instruction ${i}`);
    const a = ins.map((s) => isSwitched(s, 42));
    expect(ins.map((s) => isSwitched(s, 42))).toEqual(a);
    expect(ins.map((s) => isSwitched(s, 7))).not.toEqual(a);
    const n = a.filter(Boolean).length;
    expect(n).toBeGreaterThan(70);
    expect(n).toBeLessThan(130);
  });

  const annotations = (name: string) => join(sharedDir, "data", "alpaca_eval", `${name}.annotations.json`);
  it.skipIf(!existsSync(annotations("alpaca-7b")))(
    "reproduces AlpacaEval's preferences from its own raw completions",
    () => {
      for (const name of ["alpaca-7b", "falcon-7b-instruct"]) {
        const rows = JSON.parse(readFileSync(annotations(name), "utf8")) as {
          preference: number;
          raw_completion: unknown;
          output_1: string;
          output_2: string;
        }[];
        let compared = 0;
        for (const r of rows) {
          if (r.raw_completion === null) {
            // AlpacaEval's only rows without a judge call are identical outputs at 1.5.
            expect(r.output_1).toBe(r.output_2);
            expect(r.preference).toBe(1.5);
            continue;
          }
          const p = outcomeFromChoice(r.raw_completion, L).preference!;
          // The file does not record the presented order: either p or its mirror must match (10 digits stored).
          expect(Math.min(Math.abs(p - r.preference), Math.abs(3 - p - r.preference))).toBeLessThan(1e-8);
          compared++;
        }
        expect(compared).toBeGreaterThan(800);
      }
    },
  );
});

describe("judge template", () => {
  it("fills placeholders in one pass, so text inside the outputs stays literal", () => {
    const t = defaultTemplate(parseLabels("A,B"));
    const msgs = renderTemplate(t, "Say {output_2}", "first {label_1}", "second");
    expect(msgs.map((m) => m.role)).toEqual(["system", "user"]);
    expect(msgs[1].content).toContain('"""Say {output_2}"""');
    expect(msgs[1].content).toContain('Answer A:\n"""first {label_1}"""');
    expect(msgs[1].content).toContain("Reply with exactly one label: A or B.");
    expect(msgs[1].content).not.toMatch(/\{(instruction|output_1|label_2)\}/);
  });

  it("rejects bad labels", () => {
    expect(() => parseLabels("m")).toThrow(/two different labels/);
    expect(() => parseLabels("m,m")).toThrow(/two different labels/);
  });
});
