import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Message } from "../../../../src/data/template.js";
import { parseAnnotations } from "../../../../src/eval/annotations.js";
import type { JudgeBackend } from "../../../../src/eval/judge/backend.js";
import { JudgeCache } from "../../../../src/eval/judge/cache.js";
import { pairByInstruction } from "../../../../src/eval/judge/pairs.js";
import { isSwitched, type JudgeOutcome } from "../../../../src/eval/judge/parse.js";
import { runJudge } from "../../../../src/eval/judge/runJudge.js";
import { computeWinRate } from "../../../../src/eval/winrate.js";

/** A judge that prefers the longer answer shown, with P = 0.8; counts its calls. */
class FakeJudge implements JudgeBackend {
  id = "fake";
  name = "fake_judge";
  concurrency = 2;
  calls = 0;
  async judge(messages: Message[]): Promise<JudgeOutcome> {
    this.calls++;
    await new Promise((r) => setTimeout(r, 2));
    const [a, b] = [...messages[1].content.matchAll(/"""([\s\S]*?)"""/g)].slice(1).map((m) => m[1]);
    if (a.includes("UNPARSEABLE") || b.includes("UNPARSEABLE")) {
      return { labelLogprobs: null, text: "no idea", preference: null, raw_completion: { text: "no idea" } };
    }
    const first = a.length >= b.length;
    return { labelLogprobs: [0, 0], text: first ? "m" : "M", preference: first ? 1.2 : 1.8, raw_completion: { first } };
  }
}

function files(dir: string) {
  const ins = Array.from({ length: 10 }, (_, i) => `Instruction ${i}`);
  const model = ins.map((instruction, i) => ({
    instruction,
    output: "long answer ".repeat(i % 3 === 0 ? 1 : 5),
    generator: "mine",
  }));
  model[4].output = "same";
  model[7].output = "UNPARSEABLE";
  model.push({ instruction: "only in model", output: "x", generator: "mine" });
  const ref = ins.map((instruction) => ({ instruction, output: "medium answer here", generator: "ref" }));
  ref[4].output = "same";
  ref.push({ instruction: "only in ref", output: "y", generator: "ref" });
  const outputs = join(dir, "model.json");
  const reference = join(dir, "ref.json");
  writeFileSync(outputs, JSON.stringify(model));
  writeFileSync(reference, JSON.stringify(ref));
  return { outputs, reference };
}

describe("runJudge", () => {
  it("pairs by instruction, maps the order back, skips identical outputs and counts missing rows", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iit-judge-"));
    const judge = new FakeJudge();
    const output = join(dir, "ann.json");
    const { annotations, summary } = await runJudge({ judge, ...files(dir), output });
    expect(summary).toMatchObject({ pairs: 10, judge_calls: 9, cached: 0, identical: 1, missing: 1 });
    expect(summary.unmatched).toEqual({
      model_only: ["only in model"],
      reference_only: ["only in ref"],
      duplicates: [],
    });
    const rows = parseAnnotations(readFileSync(output, "utf8"));
    expect(rows).toEqual(JSON.parse(JSON.stringify(annotations)));
    expect(rows[4]).toMatchObject({ preference: 1.5, output_1: "same", output_2: "same" });
    expect(rows[7].preference).toBeNull();
    rows.forEach((r, i) => {
      expect(r).toMatchObject({
        instruction: `Instruction ${i}`,
        generator_1: "ref",
        generator_2: "mine",
        annotator: "fake_judge",
      });
      if (i === 4 || i === 7) return;
      // The longer answer wins whichever side it was shown on.
      const modelLonger = r.output_2.length > r.output_1.length;
      expect(r.preference).toBe(modelLonger ? 1.8 : 1.2);
      expect(r.is_switched_outputs).toBe(isSwitched(r.instruction, 42));
    });
    expect(summary.metrics).toEqual(computeWinRate(rows));
    expect(summary.metrics.n_total).toBe(9);

    // A re-run makes no judge call; a new seed only judges the pairs whose order changed.
    const again = await runJudge({ judge: new FakeJudge(), ...files(dir), output });
    expect(again.summary).toMatchObject({ judge_calls: 0, cached: 9, missing: 1 });
    expect(again.annotations).toEqual(annotations);
    const flipped = rows.filter(
      (r, i) => i !== 4 && isSwitched(r.instruction, 7) !== isSwitched(r.instruction, 42),
    ).length;
    const seed7 = await runJudge({ judge: new FakeJudge(), ...files(dir), output, seed: 7 });
    expect(seed7.summary).toMatchObject({ judge_calls: flipped, cached: 9 - flipped });
  });

  it("averages both orders and resumes after an abort", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iit-judge-"));
    const f = files(dir);
    const cache = join(dir, "c.jsonl");
    const ac = new AbortController();
    const first = await runJudge({
      judge: new FakeJudge(),
      ...f,
      cache,
      bothOrders: true,
      signal: ac.signal,
      onProgress: (done) => done >= 4 && ac.abort(),
    });
    expect(first.summary.aborted).toBe(true);
    const lines = readFileSync(cache, "utf8").trim().split("\n").length;
    expect(lines).toBeGreaterThanOrEqual(6);
    appendFileSync(cache, '{"key":"torn'); // a crash mid-write leaves half a line
    const judge = new FakeJudge();
    const { annotations, summary } = await runJudge({ judge, ...f, cache, bothOrders: true });
    expect(summary.cached).toBe(lines);
    expect(summary.judge_calls).toBe(18 - lines);
    const r = annotations[1];
    expect(r.preference_by_order).toEqual({ reference_first: 1.8, model_first: 1.8 });
    expect(r.preference).toBe(1.8);
    expect(annotations[7].preference).toBeNull();
    expect((await JudgeCache.open(cache)).skippedLines).toBe(1);
  });
});

describe("pairByInstruction", () => {
  it("keeps the first of repeated instructions and reports them", () => {
    const r = pairByInstruction(
      [
        { instruction: "a", output: "1", generator: "" },
        { instruction: "a", output: "2", generator: "m" },
      ],
      [{ instruction: "a", output: "r", generator: "ref" }],
      { model: "file-model", reference: "file-ref" },
    );
    expect(r.pairs).toEqual([
      { instruction: "a", output_1: "r", generator_1: "ref", output_2: "1", generator_2: "file-model" },
    ]);
    expect(r.unmatched.duplicates).toEqual(["a"]);
  });
});
