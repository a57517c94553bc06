import { describe, expect, it } from "vitest";
import { AbortError } from "../../../../src/errors.js";
import { coordinateSearch } from "../../../../src/rules/fit/search.js";
import { ruleSpace, specOf, startPoint, type Point } from "../../../../src/rules/fit/space.js";

// A deterministic stand-in for "generate and score": peaked at slope 0.3, a -4 penalty on "<", nothing elsewhere.
const objective = (p: Point) => ({
  score: -Math.abs(Number(p["eos.slope"]) - 0.3) - Math.abs(Number(p["token:<"]) + 4) - Math.abs(Number(p["token:x"])),
  tiebreak: 0,
});

describe("coordinate search over the rule space", () => {
  const space = ruleSpace(["<", "x"], 40);

  it("finds an optimum between grid values by refinement, and never revisits a point", async () => {
    const seen: string[] = [];
    const r = await coordinateSearch({
      space,
      start: startPoint(space, 40),
      seed: 1,
      maxEvals: 200,
      evaluate: async (p) => (seen.push(JSON.stringify(p)), objective(p)),
    });
    expect(r.stopped).toBe("converged");
    expect(r.best["eos.slope"]).toBeCloseTo(0.3, 5);
    expect(r.best["token:<"]).toBe(-4);
    expect(r.best["token:x"]).toBe(0);
    expect(new Set(seen).size).toBe(seen.length);
    expect(r.curve.length).toBe(r.evals);
    expect(r.curve).toEqual([...r.curve].sort((a, b) => a - b)); // best so far never falls
    expect(specOf(r.best).tokens).toEqual({ enabled: true, scores: [{ text: "<", score: -4 }] });
  });

  it("is deterministic for a seed and stops at the evaluation budget", async () => {
    const run = (seed: number) =>
      coordinateSearch({ space, start: startPoint(space, 40), seed, maxEvals: 7, evaluate: async (p) => objective(p) });
    const [a, b] = [await run(3), await run(3)];
    expect(a).toEqual(b);
    expect(a.evals).toBe(7);
    expect(a.stopped).toBe("evals");
  });

  it("stops at the deadline after the first evaluation, and an abort throws", async () => {
    const r = await coordinateSearch({
      space,
      start: startPoint(space, 40),
      seed: 1,
      maxEvals: 100,
      deadline: Date.now() - 1,
      evaluate: async (p) => objective(p),
    });
    expect([r.evals, r.stopped]).toEqual([1, "time"]);
    const ac = new AbortController();
    ac.abort();
    await expect(
      coordinateSearch({
        space,
        start: startPoint(space, 40),
        seed: 1,
        maxEvals: 100,
        signal: ac.signal,
        evaluate: async (p) => objective(p),
      }),
    ).rejects.toBeInstanceOf(AbortError);
  });

  it("an off rule carries nothing else, so its window or scope never splits the cache", () => {
    expect(specOf({ "eos.slope": 0, "eos.end": 10 })).toEqual(specOf({ "eos.slope": 0, "eos.end": 250 }));
    expect(specOf({ "repetition.penalty": 0, "repetition.scope": "response" })).toEqual(
      specOf({ "repetition.penalty": 0, "repetition.scope": "after-user-tag" }),
    );
  });

  it("extend adds coordinates after the first sweeps, starting off, and they are searched too", async () => {
    const eosOnly = ruleSpace([], 40);
    let calledWith: Point | undefined;
    const r = await coordinateSearch({
      space: eosOnly,
      start: startPoint(eosOnly, 40),
      seed: 1,
      maxEvals: 200,
      keyOf: (p) => JSON.stringify(specOf(p)),
      extend: async (best) => {
        calledWith = { ...best };
        return ruleSpace(["<", "x"], 40).filter((c) => c.name.startsWith("token:"));
      },
      evaluate: async (p) => objective({ "token:<": 0, "token:x": 0, ...p }),
    });
    expect(calledWith!["eos.slope"]).toBe(0.2); // the grid value nearest 0.3, before refinement
    expect(r.best["token:<"]).toBe(-4);
    expect(r.best["eos.slope"]).toBeCloseTo(0.3, 5);
  });

  it("prunes a rule that a later one made redundant, and keeps both without pruning", async () => {
    // An EOS ramp alone scores 0.6; a newline veto alone 0.64 and with the ramp still 0.64.
    const redundant = (p: Point) => {
      const eos = Number(p["eos.slope"]) > 0;
      const nl = Number(p["token:\n"]) < 0;
      return { score: nl ? 0.64 : eos ? 0.6 : 0, tiebreak: 0 };
    };
    const nl = ruleSpace(["\n"], 40);
    const run = (prune?: boolean) =>
      coordinateSearch({
        space: nl,
        start: startPoint(nl, 40),
        seed: 1,
        maxEvals: 200,
        prune,
        evaluate: async (p) => redundant(p),
      });
    const kept = await run(false);
    expect([kept.best["eos.slope"] !== 0, kept.best["token:\n"] !== 0, kept.pruned]).toEqual([true, true, []]);
    const pruned = await run();
    expect(pruned.best["eos.slope"]).toBe(0);
    expect(pruned.best["token:\n"]).toBeLessThan(0);
    expect(pruned.pruned).toEqual(["eos.slope"]);
    expect(pruned.bestScore.score).toBe(0.64);
  });

  it("extends again until nothing new is found: a token that fails only once the first is vetoed joins in round 2", async () => {
    // Answers fail at "a" until "a" is vetoed, then at "b"; vetoing both (with no EOS rule) is perfect.
    const objective2 = (p: Point) => {
      const [a, b] = [Number(p["token:a"] ?? 0) < 0, Number(p["token:b"] ?? 0) < 0];
      return { score: a && b ? 1 : a ? 0.5 : Number(p["eos.slope"]) > 0 ? 0.2 : 0, tiebreak: 0 };
    };
    const eosOnly = ruleSpace([], 40);
    const calls: string[][] = [];
    const r = await coordinateSearch({
      space: eosOnly,
      start: startPoint(eosOnly, 40),
      seed: 1,
      maxEvals: 500,
      keyOf: (p) => JSON.stringify(specOf(p)),
      extend: async (best) => {
        const failing = Number(best["token:a"] ?? 0) < 0 ? ["b"] : ["a"];
        calls.push(failing);
        return ruleSpace(failing, 40).filter((c) => c.name.startsWith("token:"));
      },
      evaluate: async (p) => objective2(p),
    });
    // Round 1 finds a, round 2 b, round 3 b again (nothing new): the search stops extending.
    expect(calls).toEqual([["a"], ["b"], ["b"]]);
    expect(r.bestScore.score).toBe(1);
    expect(r.best["token:a"]).toBeLessThan(0);
    expect(r.best["token:b"]).toBeLessThan(0);
    // The EOS ramp that earned 0.2 before the tokens existed is pruned by the last pass.
    expect(r.best["eos.slope"]).toBe(0);
    expect(r.pruned).toEqual(["eos.slope"]);
  });

  it("climbs a plateau of equal scores by the tiebreak: no single token raises the score, two together do", async () => {
    // Strict stays 0 until both "<" and "x" are vetoed; each veto alone raises only the tiebreak (correct).
    const plateau = (p: Point) => {
      const [lt, x] = [Number(p["token:<"]) < 0, Number(p["token:x"]) < 0];
      return { score: lt && x ? 0.3 : 0, tiebreak: (lt ? 0.2 : 0) + (x ? 0.2 : 0) };
    };
    const r = await coordinateSearch({
      space,
      start: startPoint(space, 40),
      seed: 1,
      maxEvals: 300,
      evaluate: async (p) => plateau(p),
    });
    expect(r.bestScore.score).toBe(0.3);
    expect(r.best["token:<"]).toBeLessThan(0);
    expect(r.best["token:x"]).toBeLessThan(0);
  });

  describe("keepAt: a rule stays only where dev shows its gain beyond chance", () => {
    // 100 dev prompts. A newline veto passes prompts 0-59; with it, a veto on "x" passes 3 more (60-62:
    // gained 3, lost 0, sign test p 0.25); a veto on "y" passes 13 more and fails 5 it passed (13 vs 5,
    // p 0.096), so each raises the dev score and neither gain is significant at 0.05.
    const dev = (p: Point) => {
      const [nl, x, y] = ["token:\n", "token:x", "token:y"].map((k) => Number(p[k] ?? 0) < 0);
      const per = Array.from({ length: 100 }, (_, i): number => {
        if (!nl) return 0;
        if (i < 60) return y && i < 5 ? 0 : 1;
        if (i < 63) return x ? 1 : 0;
        return y && i < 76 ? 1 : 0;
      });
      return { score: per.reduce((a, b) => a + b, 0) / 100, tiebreak: 0, perPrompt: per };
    };
    const sp = ruleSpace(["\n", "x", "y"], 40);
    const run = (keepAt?: number, perPrompt = true, maxEvals = 500) =>
      coordinateSearch({
        space: sp,
        start: startPoint(sp, 40),
        seed: 1,
        maxEvals,
        keepAt,
        evaluate: async (p) => {
          const s = dev(p);
          return perPrompt ? s : { score: s.score, tiebreak: s.tiebreak };
        },
      });
    const on = (p: Point) => ["token:\n", "token:x", "token:y"].filter((k) => Number(p[k] ?? 0) !== 0);

    it("without the test keeps every rule that raises the dev score", async () => {
      for (const r of [await run(), await run(1), await run(0.05, false)]) {
        expect(on(r.best)).toEqual(["token:\n", "token:x", "token:y"]);
        expect(r.bestScore.score).toBe(0.71);
        expect(r.dropped).toEqual([]);
      }
    });

    it("at 0.05 drops the least significant first (x: p 0.25), then y (p 0.096), and keeps the newline veto (60 vs 0)", async () => {
      const r = await run(0.05);
      expect(on(r.best)).toEqual(["token:\n"]);
      expect(r.bestScore.score).toBe(0.6);
      expect(r.dropped.map((d) => [d.rule, d.gained, d.lost, Number(d.p.toFixed(3))])).toEqual([
        ["token:x", 3, 0, 0.25],
        ["token:y", 13, 5, 0.096],
      ]);
      expect(r.pruned).toEqual([]);
    });

    it("tests a search that its budget stopped, too", async () => {
      // The search converges after 72 evaluations and holds all three rules by the 60th.
      expect(on((await run(1, true, 60)).best)).toEqual(["token:\n", "token:x", "token:y"]);
      const r = await run(0.05, true, 60);
      expect(r.stopped).toBe("evals");
      expect(on(r.best)).toEqual(["token:\n"]);
      expect(r.dropped.map((d) => d.rule)).toEqual(["token:x", "token:y"]);
    });

    it("at 0.1 keeps y (p 0.096 < 0.1) and drops x", async () => {
      const r = await run(0.1);
      expect(on(r.best)).toEqual(["token:\n", "token:y"]);
      expect(r.dropped.map((d) => d.rule)).toEqual(["token:x"]);
    });
  });
});
