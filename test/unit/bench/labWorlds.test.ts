// `iit bench lab --worlds`: the worlds list, "k of N" per finding on constructed verdicts, and the
// markdown the benchmark prints (and scripts/lab-tables.mjs --worlds copies into the docs).
import { describe, expect, it } from "vitest";
import {
  benchLabMarkdown,
  failedCriteria,
  parseWorlds,
  summarizeFindings,
  worldsSpec,
  type FindingLike,
} from "../../../src/bench/labWorlds.js";
import { InvalidOptionError } from "../../../src/errors.js";

const pass = { pass: true };
const fail = { pass: false };
const rt = (ok: boolean): FindingLike => ({
  id: "response-tuning",
  reproduced: ok,
  measured: { strict_ratio_vs_instruction: pass, win_rate_vs_instruction: ok ? pass : fail, wins: 3 },
});
const single = (ok: boolean): FindingLike => ({
  id: "single-task",
  reproduced: ok,
  measured: {
    median_ratio: ok ? pass : fail,
    margin_over_base: ok ? pass : fail,
    // One arm failing on its own is not the finding failing (the median arm, and all but one): not listed.
    arms: [
      { arm: "single-story", ratio_vs_instruction: pass, margin_over_base: pass },
      { arm: "single-spell", ratio_vs_instruction: fail, margin_over_base: fail },
    ],
  },
});
const rules = (ablation: "below" | "no difference", applicable = true): FindingLike => ({
  id: "rules",
  reproduced: ablation === "below" || !applicable,
  measured: {
    strict_ratio_vs_instruction: pass,
    strict_margin_over_base: pass,
    ablations: [
      { arm: "rules-no-eos", direction: "below", applicable: true, p: 0.001 },
      { arm: "rules-no-repetition", direction: ablation, applicable, p: 1 },
    ],
  },
});

describe("--worlds", () => {
  it("reads ranges and lists", () => {
    expect(parseWorlds("1-5")).toEqual([1, 2, 3, 4, 5]);
    expect(parseWorlds("1,3,7")).toEqual([1, 3, 7]);
    expect(parseWorlds("1-3,8")).toEqual([1, 2, 3, 8]);
    expect(parseWorlds(" 4 - 4 ")).toEqual([4]);
    expect(parseWorlds("2147483647")).toEqual([2 ** 31 - 1]);
    expect(worldsSpec([1, 2, 3, 4, 5])).toBe("1-5");
    expect(worldsSpec([1, 3, 7])).toBe("1,3,7");
    expect(worldsSpec([1, 2, 5, 6, 7])).toBe("1,2,5-7");
  });

  it.each([
    ["0", /outside 1 to 2\^31 - 1/],
    ["5-1", /the range 5-1 runs backwards/],
    ["0-3", /outside/],
    ["2147483648", /outside/],
    ["", /is not a world seed/],
    ["1,,3", /is not a world seed/],
    ["1-", /is not a world seed/],
    ["-3", /is not a world seed/],
    ["1-3-5", /is not a world seed/],
    ["a", /is not a world seed/],
    ["1.5", /is not a world seed/],
    ["0x10", /is not a world seed/],
    ["1,2,1", /world 1 is named twice/],
    ["1-200", /more than 100 worlds/],
  ])("refuses %j with a typed error", (spec, message) => {
    let err: unknown;
    try {
      parseWorlds(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as InvalidOptionError).code).toBe("INVALID_OPTION");
    expect((err as Error).message).toMatch(message);
  });
});

describe("k of N", () => {
  const worlds = [
    { world: 1, findings: [rt(true), single(false), rules("no difference")] },
    { world: 2, findings: [rt(false), single(true), rules("below")] },
    { world: 3, findings: [rt(true), single(true), rules("no difference", false)] },
    { world: 4, findings: [rt(false), single(true), rules("below")] },
    { world: 5, findings: [rt(true), single(true), rules("below")] },
  ];

  it("counts the worlds each finding reproduces on", () => {
    const s = summarizeFindings(worlds);
    expect(s.map((f) => [f.id, f.text])).toEqual([
      ["response-tuning", "3 of 5"],
      ["single-task", "4 of 5"],
      ["rules", "4 of 5"],
    ]);
    expect(s[0].worlds.map((w) => w.verdict)).toEqual([
      "reproduced",
      "not reproduced",
      "reproduced",
      "not reproduced",
      "reproduced",
    ]);
    expect(s[0].worlds[1].failed).toEqual(["win rate"]);
    expect(s[1].worlds[0].failed).toEqual(["median ratio", "margin"]);
    expect(s[2].worlds[0].failed).toEqual(["rules-no-repetition no difference"]);
    expect(s[2].worlds[2]).toMatchObject({ verdict: "reproduced", notApplicable: ["rules-no-repetition"] });
  });

  it("counts a world whose lab did not finish as not reproduced (missing)", () => {
    const s = summarizeFindings([...worlds.slice(0, 4), { world: 5, findings: null }]);
    expect(s.map((f) => f.text)).toEqual(["2 of 5", "3 of 5", "3 of 5"]);
    expect(s[0].worlds[4]).toEqual({ world: 5, verdict: "missing", failed: [], notApplicable: [] });
  });

  it("names an ablation left out as not applicable nowhere among the failures", () => {
    expect(failedCriteria(rules("no difference", false))).toEqual([]);
    expect(failedCriteria({ id: "rules", reproduced: false, measured: { ablations: [] } })).toEqual([
      "no applicable ablation",
    ]);
  });

  it("prints the verdicts, the rule arms and the times as markdown", () => {
    const s = summarizeFindings([worlds[0], worlds[2]]);
    const ruleArm = { strict: 0.646, lo: 0.5914, hi: 0.7001 };
    const md = benchLabMarkdown(
      s,
      [
        {
          world: 1,
          fitted: ruleArm,
          fit_dev: 0.68,
          fit_seconds: 26.04,
          fit_rules_used: ["tokens"],
          fit_pruned: ["eos.slope", "token:\n", "token:|"],
          fit_dropped: null,
          transfer: null,
          hand: ruleArm,
        },
        {
          world: 3,
          fitted: null,
          fit_dev: null,
          fit_seconds: null,
          fit_rules_used: null,
          fit_pruned: null,
          fit_dropped: null,
          transfer: ruleArm,
          hand: null,
        },
      ],
      [
        { world: 1, pretrain_seconds: null, lab_seconds: 240.2, steps_seconds: 230, executed: 0, cached: 60 },
        { world: 3, pretrain_seconds: 231, lab_seconds: null, steps_seconds: null, executed: 3, cached: 2 },
      ],
      "iit bench lab --worlds 1,3",
    );
    const lines = md.split("\n");
    expect(lines[0]).toBe(
      "Findings reproduced on worlds 1, 3 (`iit bench lab --worlds 1,3`): response-tuning 2 of 2, single-task 1 of 2, rules 1 of 2.",
    );
    expect(md).toContain("| Finding | World 1 | World 3 | Reproduced |");
    expect(md).toContain("| response-tuning | reproduced | reproduced | 2 of 2 |");
    expect(md).toContain("| single-task | not (median ratio; margin) | reproduced | 1 of 2 |");
    expect(md).toContain(
      "| rules | not (rules-no-repetition no difference) | reproduced (rules-no-repetition not applicable) | 1 of 2 |",
    );
    // A pruned token's newline or `|` would break the table's row: written escaped.
    expect(md).toContain(
      "| 1 | 0.65 (0.59–0.71) | 0.68, tokens (eos.slope, token:\\n, token:\\|), 26 | (is rules) | 0.65 (0.59–0.71) |",
    );
    expect(md).toContain("| 3 | – | –, –, – | 0.65 (0.59–0.71) | – |");
    // Dropped for a gain dev does not show, after the pruned ones.
    const cellOf = (pruned: string[] | null, dropped: string[] | null) =>
      benchLabMarkdown(
        s,
        [
          {
            world: 2,
            fitted: null,
            fit_dev: 0.5,
            fit_seconds: 20,
            fit_rules_used: ["eos"],
            fit_pruned: pruned,
            fit_dropped: dropped,
            transfer: null,
            hand: null,
          },
        ],
        [],
        "x",
      )
        .split("\n")
        .find((l) => l.startsWith("| 2 |"));
    expect(cellOf(["eos.slope"], ["token:the"])).toContain("0.50, eos (eos.slope; token:the), 20");
    expect(cellOf([], ["repetition.penalty"])).toContain("0.50, eos (–; repetition.penalty), 20");
    expect(cellOf([], [])).toContain("0.50, eos, 20");
    expect(md).toContain("| 1 | (existing) | 240 | 230 | 0 / 60 |");
    expect(md).toContain("| 3 | 231 | – | – | 3 / 2 |");
  });
});
