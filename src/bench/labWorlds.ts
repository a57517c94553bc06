// `iit bench lab --worlds 1-5`: the worlds list, and what the benchmark prints from the worlds' lab runs —
// per finding, its verdict on each world and "k of N" reproduced (with the criteria that failed), and
// per world the rule arms (issue 22: the fitted file, world 1's file transferred, the hand-written one).
import { InvalidOptionError } from "../errors.js";

/** Worlds per run at most: each is minutes of pretraining and a lab run. */
export const MAX_WORLDS = 100;
const SEED_MAX = 2 ** 31 - 1;

function worldNumber(text: string, spec: string): number {
  if (!/^[0-9]+$/.test(text))
    throw new InvalidOptionError("INVALID_OPTION", `--worlds ${spec}: "${text}" is not a world seed`, {
      suggestion: "a list or ranges of world seeds in decimal digits, e.g. 1-5 or 1,3,7 or 1-3,8",
    });
  const n = Number(text);
  if (n < 1 || n > SEED_MAX)
    throw new InvalidOptionError("INVALID_OPTION", `--worlds ${spec}: world seed ${text} is outside 1 to 2^31 - 1`, {
      suggestion: "world seeds are positive: the shipped base is world 1",
    });
  return n;
}

/** "1-5", "1,3,7", "1-3,8": the world seeds in the order given. Empty items, 0, a range that runs backwards, a repeat → INVALID_OPTION. */
export function parseWorlds(spec: string): number[] {
  const out: number[] = [];
  const add = (n: number) => {
    if (out.includes(n))
      throw new InvalidOptionError("INVALID_OPTION", `--worlds ${spec}: world ${n} is named twice`, {
        suggestion: "name each world once",
      });
    out.push(n);
    if (out.length > MAX_WORLDS)
      throw new InvalidOptionError("INVALID_OPTION", `--worlds ${spec}: more than ${MAX_WORLDS} worlds`, {
        suggestion: "each world pretrains a base and runs the lab (minutes each): run fewer at a time",
      });
  };
  for (const item of spec.trim().split(",")) {
    const m = /^\s*([^-\s]*)\s*-\s*([^-\s]*)\s*$/.exec(item);
    if (m) {
      const [a, b] = [worldNumber(m[1], spec), worldNumber(m[2], spec)];
      if (b < a)
        throw new InvalidOptionError("INVALID_OPTION", `--worlds ${spec}: the range ${a}-${b} runs backwards`, {
          suggestion: `write ${b}-${a}`,
        });
      if (b - a >= MAX_WORLDS)
        throw new InvalidOptionError("INVALID_OPTION", `--worlds ${spec}: more than ${MAX_WORLDS} worlds`, {
          suggestion: "each world pretrains a base and runs the lab (minutes each): run fewer at a time",
        });
      for (let n = a; n <= b; n++) add(n);
    } else add(worldNumber(item.trim(), spec));
  }
  return out;
}

/** [1, 2, 3, 5] → "1-3,5": the shortest --worlds that names them. */
export function worldsSpec(worlds: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < worlds.length; ) {
    let j = i;
    while (j + 1 < worlds.length && worlds[j + 1] === worlds[j] + 1) j++;
    parts.push(j > i + 1 ? `${worlds[i]}-${worlds[j]}` : worlds.slice(i, j + 1).join(","));
    i = j + 1;
  }
  return parts.join(",");
}

/** What the summary needs of a finding (src/lab/results.ts's Finding). */
export interface FindingLike {
  id: string;
  reproduced: boolean;
  measured: Record<string, unknown>;
}

export interface WorldFindings {
  world: number;
  /** Null: the world's lab did not finish (counts as not reproduced). */
  findings: FindingLike[] | null;
}

export interface FindingSummary {
  id: string;
  /** Per world, in the order run: "reproduced", "not reproduced" or "missing" (no verdict), and why not. */
  worlds: {
    world: number;
    verdict: "reproduced" | "not reproduced" | "missing";
    failed: string[];
    /** Ablations left out as not applicable (the rule file does not use their rule). */
    notApplicable: string[];
  }[];
  reproduced: number;
  of: number;
  /** "3 of 5" */
  text: string;
}

const LABELS: Record<string, string> = {
  median_ratio: "median ratio",
  strict_ratio_vs_instruction: "ratio",
  ratio_vs_instruction: "ratio",
  win_rate_vs_instruction: "win rate",
  strict_margin_over_base: "margin",
  margin_over_base: "margin",
};

/** The criteria of a finding that failed, short: "win rate", "single-kind ratio", "rules-no-repetition no difference". */
export function failedCriteria(f: FindingLike): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key: string, prefix: string) => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, key, prefix);
      return;
    }
    if (!v || typeof v !== "object") return;
    // Single-task arms are judged together (the median arm, the arms below the margin), not one by one.
    if (key === "arms") return;
    const o = v as Record<string, unknown>;
    if (typeof o.direction === "string" && typeof o.arm === "string") {
      // An ablation: it fails unless below the full rules; one the file does not use is left out.
      if (o.applicable !== false && o.direction !== "below") out.push(`${o.arm} ${o.direction}`);
      return;
    }
    if (o.pass === false) {
      out.push(`${prefix}${LABELS[key] ?? key}`);
      return;
    }
    const name = typeof o.arm === "string" ? `${o.arm} ` : prefix;
    for (const [k, x] of Object.entries(o)) walk(x, k, name);
  };
  walk(f.measured, "", "");
  if (f.id === "rules" && !f.reproduced && !out.length) out.push("no applicable ablation");
  return out;
}

/** The ablations of a finding left out because the rule file does not use their rule. */
export function notApplicable(f: FindingLike): string[] {
  const a = f.measured.ablations;
  return Array.isArray(a)
    ? a.filter((x) => x && typeof x === "object" && x.applicable === false).map((x) => String(x.arm))
    : [];
}

/** Per finding (in the order they first appear), its verdict on every world and "k of N" reproduced. */
export function summarizeFindings(worlds: WorldFindings[]): FindingSummary[] {
  const ids = [...new Set(worlds.flatMap((w) => (w.findings ?? []).map((f) => f.id)))];
  return ids.map((id) => {
    const per = worlds.map((w) => {
      const f = w.findings?.find((x) => x.id === id);
      if (!f) return { world: w.world, verdict: "missing" as const, failed: [], notApplicable: [] };
      return {
        world: w.world,
        verdict: f.reproduced ? ("reproduced" as const) : ("not reproduced" as const),
        failed: f.reproduced ? [] : failedCriteria(f),
        notApplicable: notApplicable(f),
      };
    });
    const k = per.filter((p) => p.verdict === "reproduced").length;
    return { id, worlds: per, reproduced: k, of: worlds.length, text: `${k} of ${worlds.length}` };
  });
}

/** One rule arm's eval strict on a world, with its 95% interval (lower bound rounded down, upper up). */
export interface RuleArmStrict {
  strict: number;
  lo: number;
  hi: number;
}

export interface WorldRules {
  world: number;
  /** `rules`: the file fitted on this world's dev prompts. */
  fitted: RuleArmStrict | null;
  /** The fit's dev strict (its score) and the rules its file uses. */
  fit_dev: number | null;
  /** The fit step's own time (its search), from its manifest. */
  fit_seconds: number | null;
  fit_rules_used: string[] | null;
  /** Rules the fit switched on, then off again because a later rule made them redundant on dev. */
  fit_pruned: string[] | null;
  /** Rules the fit switched off because their dev gain was not significant (fit methods 6 and later, `keepAt`). */
  fit_dropped: string[] | null;
  /** `rules-transfer`: world 1's fitted file unchanged (null on world 1, where it would be `rules`). */
  transfer: RuleArmStrict | null;
  /** `rules-hand`: the hand-written file. */
  hand: RuleArmStrict | null;
}

const down = (x: number) => (Math.floor(x * 100 + 1e-9) / 100).toFixed(2);
const up = (x: number) => (Math.ceil(x * 100 - 1e-9) / 100).toFixed(2);
/** A rule's name in a table cell, JSON-escaped (a token's newline) and `|` escaped, so the row stays one row. */
const ruleName = (name: string) => JSON.stringify(name).slice(1, -1).replace(/\|/g, "\\|");
/** " (pruned; dropped)": the rules the fit switched off, for redundancy and for a gain dev does not show. */
const switchedOff = (r: WorldRules) => {
  const [p, d] = [r.fit_pruned ?? [], r.fit_dropped ?? []].map((xs) => xs.map(ruleName).join(", "));
  return p || d ? ` (${p || "–"}${d ? `; ${d}` : ""})` : "";
};
const cell = (a: RuleArmStrict | null) => (a ? `${a.strict.toFixed(2)} (${down(a.lo)}–${up(a.hi)})` : "–");

export interface BenchLabTimes {
  world: number;
  pretrain_seconds: number | null;
  lab_seconds: number | null;
  /** Sum of the seconds of every step of the world's lab (whichever run made it), from the step manifests. */
  steps_seconds: number | null;
  executed: number;
  cached: number;
}

/** The benchmark's markdown: a summary line, the verdicts per world, the rule arms per world, the times. */
export function benchLabMarkdown(
  summary: FindingSummary[],
  rules: WorldRules[],
  times: BenchLabTimes[],
  command: string,
): string {
  const worlds = times.map((t) => t.world);
  const v = (p: FindingSummary["worlds"][number]) => {
    const why = [...p.failed, ...p.notApplicable.map((a) => `${a} not applicable`)];
    const head = p.verdict === "reproduced" ? "reproduced" : p.verdict === "missing" ? "missing" : "not";
    return `${head}${why.length ? ` (${why.join("; ")})` : ""}`;
  };
  const lines = [
    `Findings reproduced on world${worlds.length > 1 ? "s" : ""} ${worlds.join(", ")} (\`${command}\`): ${summary.map((s) => `${s.id} ${s.text}`).join(", ")}.`,
    "",
    `| Finding | ${worlds.map((w) => `World ${w}`).join(" | ")} | Reproduced |`,
    `| --- | ${worlds.map(() => "---").join(" | ")} | --- |`,
    ...summary.map((s) => `| ${s.id} | ${s.worlds.map(v).join(" | ")} | ${s.text} |`),
    "",
    "In brackets, the criteria that failed (src/lab/results.ts; an ablation fails unless below the full rules) and the ablations left out as not applicable (the fitted file does not use their rule).",
    "",
    "| World | rules (fitted on dev): eval strict (95% CI) | fit: dev strict, rules used (pruned; dropped as not significant on dev), time (s) | rules-transfer (world 1's file) | rules-hand |",
    "| --- | --- | --- | --- | --- |",
    ...rules.map(
      (r) =>
        `| ${r.world} | ${cell(r.fitted)} | ${r.fit_dev === null ? "–" : r.fit_dev.toFixed(2)}, ${r.fit_rules_used?.join(" + ") || "–"}${switchedOff(r)}, ${r.fit_seconds === null ? "–" : r.fit_seconds.toFixed(0)} | ${r.world === 1 ? "(is rules)" : cell(r.transfer)} | ${cell(r.hand)} |`,
    ),
    "",
    "| World | pretrain (s) | lab, this run (s) | lab steps, summed (s) | steps run / cached |",
    "| --- | --- | --- | --- | --- |",
    ...times.map(
      (t) =>
        `| ${t.world} | ${t.pretrain_seconds === null ? "(existing)" : t.pretrain_seconds.toFixed(0)} | ${t.lab_seconds === null ? "–" : t.lab_seconds.toFixed(0)} | ${t.steps_seconds === null ? "–" : t.steps_seconds.toFixed(0)} | ${t.executed} / ${t.cached} |`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}
