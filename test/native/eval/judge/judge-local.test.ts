import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { readAnnotations } from "../../../../src/eval/annotations.js";
import { LocalJudge } from "../../../../src/eval/judge/local.js";
import { defaultTemplate, renderTemplate } from "../../../../src/eval/judge/template.js";
import { computeWinRate } from "../../../../src/eval/winrate.js";
import { promptTokens } from "../../../../src/model/templates.js";
import { loadModel } from "../../../../src/model/Model.js";
import { iit } from "../../../helpers/cli.js";
import { cliPath, skipNoModel, storiesModel, tempDir } from "../../../helpers/fixtures.js";
import { iitAsync } from "../../serve/proc.js";
import { hasAlpacaEval, writeRealPairs } from "./realPairs.js";

const skip =
  skipNoModel ||
  (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)") ||
  (hasAlpacaEval ? false : "../../shared/data/alpaca_eval absent");

const lines = (f: string) => (existsSync(f) ? readFileSync(f, "utf8").split("\n").filter(Boolean).length : 0);

describe.skipIf(skip)("iit judge with stories260K as a local judge, on real AlpacaEval pairs", () => {
  const dir = tempDir("iit-judge-local-");
  const data = skip ? undefined : writeRealPairs(dir);
  const args = (out: string) => [
    "judge",
    "--outputs",
    data!.outputs,
    "--reference",
    data!.reference,
    "--judge",
    storiesModel,
    "-o",
    out,
    "-t",
    "1",
  ];
  const out = join(dir, "annotations.json");

  it("writes valid AlpacaEval annotations with preferences in [1, 2] and prints the win-rate summary", async () => {
    const r = iit([...args(out), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const s = r.json();
    expect(s).toMatchObject({
      pairs: 13,
      judge_calls: 12,
      cached: 0,
      identical: 1,
      missing: 0,
      errors: 0,
      aborted: false,
    });
    expect(s.unmatched.reference_only).toHaveLength(1);
    const rows = await readAnnotations(out);
    expect(rows).toHaveLength(13);
    for (const a of rows) {
      expect(Object.keys(a)).toEqual(
        expect.arrayContaining([
          "instruction",
          "output_1",
          "generator_1",
          "output_2",
          "generator_2",
          "annotator",
          "preference",
        ]),
      );
      expect(a).toMatchObject({
        generator_1: "text_davinci_003",
        generator_2: "alpaca-7b",
        annotator: "iit_weighted_stories260K",
      });
      expect(a.preference).toBeGreaterThanOrEqual(1);
      expect(a.preference).toBeLessThanOrEqual(2);
    }
    const same = rows[12];
    expect(same).toMatchObject({ preference: 1.5, raw_completion: null });
    for (const a of rows.slice(0, 12)) {
      // The preference is AlpacaEval's weighted one, from the recorded label logprobs, mapped back to the reference's side.
      const [l1, l2] = a.label_logprobs as [number, number];
      const p = 2 - Math.exp(l1) / (Math.exp(l1) + Math.exp(l2));
      expect(a.preference).toBeCloseTo(a.is_switched_outputs ? 3 - p : p, 10);
      const rc = a.raw_completion as { logprobs: { content: { top_logprobs: unknown[] }[] } };
      expect(rc.logprobs.content[0].top_logprobs).toHaveLength(5);
    }
    expect(new Set(rows.map((a) => a.is_switched_outputs)).size).toBe(2);
    expect(s.metrics).toEqual(computeWinRate(rows));
    const w = iit(["winrate", "--annotations", out, "--json"]);
    expect(w.json()).toEqual(JSON.parse(JSON.stringify(s.metrics)));
    // Without --json the summary goes to stderr and stdout stays empty.
    const human = iit(args(out));
    expect(human.stdout).toBe("");
    expect(human.stderr).toMatch(/0 judge calls, 12 cached, 1 identical[\s\S]*win rate/);
  });

  it("a re-run makes zero judge calls and writes the same annotations", async () => {
    const before = readFileSync(out, "utf8");
    const r = iit([...args(out), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ judge_calls: 0, cached: 12, identical: 1 });
    expect(readFileSync(out, "utf8")).toBe(before);
  });

  it("resumes after an interruption without redoing finished judgements", async () => {
    const out2 = join(dir, "interrupted.json");
    const cache = `${out2}.cache.jsonl`;
    const first = await iitAsync([...args(out2), "--json"], {
      onSpawn: (c) =>
        void (async () => {
          while (lines(cache) < 3 && c.exitCode === null) await sleep(20);
          c.kill("SIGINT");
        })(),
    });
    expect(first.code, first.stderr).toBe(130);
    const partial = first.json();
    expect(partial.aborted).toBe(true);
    const done = lines(cache);
    expect(done).toBeGreaterThanOrEqual(3);
    expect(done).toBeLessThan(12);
    const again = iit([...args(out2), "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ cached: done, judge_calls: 12 - done, aborted: false });
    const a = await readAnnotations(out2);
    const b = await readAnnotations(out);
    expect(a.map((x) => x.preference)).toEqual(b.map((x) => x.preference));
  });

  it("label probabilities are exact: they equal scoring each label token after the prompt", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    const judge = new LocalJudge(model);
    const t = defaultTemplate();
    const msgs = renderTemplate(t, "Name a fruit.", "An apple.", "A car.");
    const o = await judge.judge(msgs, t.labels);
    const prompt = promptTokens(model, { instruction: "", messages: msgs }, "tulu");
    // The label tokens, read from the GGUF's tokenizer.ggml.tokens with gguf-py (not by the code under
    // test): the piece, the SentencePiece word piece and the byte-fallback token of each label.
    const labelTokens: Record<string, number[]> = { m: [112, 284, 423], M: [80, 392, 446] }; // <0x6D> ▁m m, <0x4D> ▁M M
    for (const [k, label] of t.labels.entries()) {
      const ids = labelTokens[label];
      expect([...judge.idsOf(label)].sort((a, b) => a - b)).toEqual(ids);
      const scored = await model.score(ids.map((id) => ({ tokens: [...prompt, id], from: prompt.length })));
      const p = scored.reduce((s, r) => s + Math.exp(r.tokenLogprobs[0]), 0);
      expect(o.labelLogprobs![k]).toBeCloseTo(Math.log(p), 4);
    }
  });
});
