import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { winrateCommand } from "../../../src/cli/commands/winrate.js";
import { DatasetError, JudgeError } from "../../../src/errors.js";
import { parseAnnotations, readAnnotations, type Annotation } from "../../../src/eval/annotations.js";
import { computeWinRate, pairwiseSum } from "../../../src/eval/winrate.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const dataDir = resolve(repoRoot, "../shared/data/alpaca_eval");
const haveData = existsSync(join(dataDir, "leaderboard.csv"));
const COLUMNS = [
  "win_rate",
  "standard_error",
  "n_wins",
  "n_wins_base",
  "n_draws",
  "n_total",
  "discrete_win_rate",
] as const;

const row = (preference: unknown, output_2 = "ab"): Record<string, unknown> => ({
  instruction: "i",
  output_1: "ref",
  generator_1: "base",
  output_2,
  generator_2: "model",
  annotator: "test",
  preference,
});
const rows = (...prefs: (number | null)[]) => prefs.map((p) => row(p)) as Annotation[];

describe.skipIf(!haveData)("published AlpacaEval leaderboard (needs ../shared/data/alpaca_eval)", () => {
  const published = haveData
    ? (parse(readFileSync(join(dataDir, "leaderboard.csv")), { columns: true }) as Record<string, string>[])
    : [];

  it("has the two models", () => expect(published.map((r) => r[""])).toEqual(["alpaca-7b", "falcon-7b-instruct"]));

  for (const model of ["alpaca-7b", "falcon-7b-instruct"]) {
    it(`${model}: every column matches to 1e-9`, async () => {
      const summary = computeWinRate(await readAnnotations(join(dataDir, `${model}.annotations.json`)));
      const pub = published.find((r) => r[""] === model)!;
      for (const col of COLUMNS) expect(Math.abs(summary[col] - Number(pub[col])), col).toBeLessThan(1e-9);
      // Informational only: AlpacaEval rounds avg_length and computes it from model_outputs.
      expect(Math.abs(summary.avg_length - Number(pub.avg_length))).toBeLessThan(0.05 * Number(pub.avg_length));
    });
  }
});

if (!haveData) it.skip("published leaderboard: ../shared/data/alpaca_eval is absent", () => {});

describe("computeWinRate on synthetic rows", () => {
  it("drops missing preferences (null, NaN, absent) from every count", () => {
    const anns = [
      ...rows(2, null, 1, 1.5),
      { ...row(Number.NaN) },
      (({ preference, ...r }) => r)(row(2)),
    ] as Annotation[];
    const s = computeWinRate(anns);
    expect(s).toMatchObject({ n_total: 3, n_wins: 1, n_wins_base: 1, n_draws: 1, win_rate: 50, discrete_win_rate: 50 });
    expect(s.standard_error).toBeCloseTo((100 * 0.5) / Math.sqrt(3), 12);
  });

  it("reads legacy 0 as a draw (1.5)", () => {
    const s = computeWinRate(rows(0, 2));
    expect(s).toMatchObject({ n_draws: 1, n_wins: 1, n_wins_base: 0, win_rate: 75, discrete_win_rate: 75 });
  });

  it("all draws: 50%, SE 0", () => {
    const s = computeWinRate(rows(1.5, 1.5, 1.5));
    expect(s).toMatchObject({
      win_rate: 50,
      standard_error: 0,
      n_draws: 3,
      n_wins: 0,
      n_wins_base: 0,
      discrete_win_rate: 50,
    });
  });

  it("a single row: SE is NaN, as pandas' sem of one value (JSON prints it as null)", () => {
    const s = computeWinRate(rows(1.8));
    expect(s.win_rate).toBeCloseTo(80, 12);
    expect(s.standard_error).toBeNaN();
    expect(JSON.parse(JSON.stringify(s)).standard_error).toBeNull();
  });

  it("weighted preferences: discrete rate rounds, thresholds at exactly 1.5", () => {
    const s = computeWinRate(rows(1.4999999, 1.5000001, 1.5, 1.25));
    expect(s).toMatchObject({ n_wins: 1, n_wins_base: 2, n_draws: 1, discrete_win_rate: 37.5 });
    expect(s.win_rate).toBeCloseTo((100 * (0.4999999 + 0.5000001 + 0.5 + 0.25)) / 4, 12);
  });

  it("avg_length counts code points, not UTF-16 units", () => {
    expect(computeWinRate([row(2, "😀é"), row(1, "abcd")] as Annotation[]).avg_length).toBe(3);
  });

  it("empty input: n_total 0 and NaN rates", () => {
    const s = computeWinRate([]);
    expect(s.n_total).toBe(0);
    expect(s.win_rate).toBeNaN();
  });

  it("pairwiseSum equals the exact sum on small integers at every size", () => {
    for (const n of [0, 1, 7, 8, 9, 128, 129, 805]) {
      expect(pairwiseSum(Array.from({ length: n }, (_, i) => i))).toBe(n === 0 ? 0 : (n * (n - 1)) / 2);
    }
  });
});

describe("annotation file errors", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "iit-winrate-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const file = async (name: string, text: string) => {
    const p = join(dir, name);
    await writeFile(p, text);
    return p;
  };
  const rejects = async (text: string, code: string, msg: RegExp) => {
    const p = await file(`${code}.json`, text);
    const err = await readAnnotations(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JudgeError);
    expect((err as JudgeError).code).toBe(code);
    expect((err as Error).message).toContain(p);
    expect((err as Error).message).toMatch(msg);
  };

  it("missing file -> DatasetError naming it", async () => {
    const p = join(dir, "nope.json");
    await expect(readAnnotations(p)).rejects.toThrow(DatasetError);
    await expect(readAnnotations(p)).rejects.toThrow(p);
  });
  it("not JSON", () => rejects("[{", "ANNOTATIONS_NOT_JSON", /not valid JSON/));
  it("not an array", () => rejects(JSON.stringify({ preference: 2 }), "ANNOTATIONS_NOT_ARRAY", /an object/));
  it("a row without output_2 names its index", () =>
    rejects(
      JSON.stringify([row(2), (({ output_2, ...r }) => r)(row(2))]),
      "ANNOTATIONS_BAD_ROW",
      /row 1: field "output_2"/,
    ));
  it("a row that is not an object names its index", () =>
    rejects(JSON.stringify([row(2), row(1), 3]), "ANNOTATIONS_BAD_ROW", /row 2/));
  it("preference out of range names the row", () =>
    rejects(JSON.stringify([row(1), row(2), row(1), row(2.5)]), "ANNOTATIONS_BAD_PREFERENCE", /row 3: preference 2.5/));
  it("string preference names the row", () =>
    rejects(JSON.stringify([row("1.5")]), "ANNOTATIONS_BAD_PREFERENCE", /row 0: .*string "1.5"/));
  it("Python's bare Infinity is out of range", () =>
    rejects(
      `[${JSON.stringify(row(null)).replace("null", "Infinity")}]`,
      "ANNOTATIONS_BAD_PREFERENCE",
      /row 0: preference Infinity/,
    ));

  it("accepts Python's bare NaN as missing and keeps extra fields", async () => {
    const text = `[${JSON.stringify({ ...row(null), dataset: "x", note: "NaN stays in strings" }).replace("null", "NaN")}, ${JSON.stringify(row(2))}]`;
    const anns = parseAnnotations(text);
    expect(anns[0]).toMatchObject({ preference: null, dataset: "x", note: "NaN stays in strings" });
    expect(computeWinRate(anns).n_total).toBe(1);
  });
});

describe("winrate command", () => {
  const run = async (args: string[]) => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
      out.push(String(s));
      return true;
    });
    try {
      await winrateCommand.parseAsync(args, { from: "user" });
    } finally {
      spy.mockRestore();
    }
    return out.join("");
  };
  let p: string;
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), "iit-winrate-cli-"));
    p = join(dir, "a.json");
    await writeFile(p, JSON.stringify([row(2), row(1), row(1.5), row(null)]));
  });

  it("--json prints exactly one summary object", async () => {
    const out = await run(["--annotations", p, "--json"]);
    expect(out.trim().split("\n")).toHaveLength(1);
    expect(Object.keys(JSON.parse(out)).sort()).toEqual([...COLUMNS, "avg_length"].sort());
    expect(JSON.parse(out)).toMatchObject({ win_rate: 50, n_total: 3, n_draws: 1 });
  });
  it("prints a table without --json", async () => {
    const out = await run(["--annotations", p]);
    expect(out).toMatch(/win rate\s+50\.00 ± 28\.87/);
    expect(out).toMatch(/wins \/ losses \/ draws\s+1 \/ 1 \/ 1/);
  });
  it("throws typed errors instead of exiting", async () => {
    await expect(run(["--annotations", p + ".missing"])).rejects.toBeInstanceOf(DatasetError);
  });
});
