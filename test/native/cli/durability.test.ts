// Issue 12: no row already written is lost, whatever the run does (a different input, a failure, a kill).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { cliPath, repoRoot, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";
import { iitAsync } from "../serve/proc.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");

const jsonl = (xs: string[]) => xs.map((p) => JSON.stringify({ instruction: p })).join("\n") + "\n";
const read = (f: string) => JSON.parse(readFileSync(f, "utf8"));
const lines = (f: string) =>
  existsSync(f)
    ? readFileSync(f, "utf8")
        .split("\n")
        .filter((l) => l.endsWith("}")).length
    : 0;

describe.skipIf(skip)("generate -o / judge -o / merge keep every row (real processes)", () => {
  const dir = tempDir();
  const common = ["-m", storiesModel, "--template", "raw", "-n", "8", "-t", "1"];
  const first = ["Once upon a time", "Lily", "Tom had a dog"];
  const input = join(dir, "first.jsonl");
  writeFileSync(input, jsonl(first));
  const base = join(dir, "base.json");

  it("an empty input, another input or a failing run keeps the rows already in the output", () => {
    expect(iit(["generate", ...common, "--input", input, "--output", base]).code).toBe(0);
    const made = read(base);
    expect(made).toHaveLength(3);

    const out = join(dir, "out.json");
    writeFileSync(out, JSON.stringify(made));
    const empty = join(dir, "empty.jsonl");
    writeFileSync(empty, "");
    const r = iit(["generate", ...common, "--input", empty, "--output", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(read(out)).toEqual(made);

    const other = join(dir, "other.jsonl");
    writeFileSync(other, jsonl(["The sun", "Lily"]));
    const o = iit(["generate", ...common, "--input", other, "--output", out, "--json"]);
    expect(o.code, o.stderr).toBe(0);
    expect(o.json()).toMatchObject({ generated: 1, skipped: 1, kept: 2 });
    expect(read(out).map((x: { instruction: string }) => x.instruction)).toEqual([
      "The sun",
      "Lily",
      "Once upon a time",
      "Tom had a dog",
    ]);

    // A run that fails (a prompt longer than the context) leaves every earlier row in place.
    const long = join(dir, "long.jsonl");
    writeFileSync(long, jsonl(["a b c d e f g h i j k l m n o p q r s t u v w x y z ".repeat(4)]));
    const f = iit(["generate", ...common, "--context-size", "16", "--input", long, "--output", out]);
    expect(f.code).not.toBe(0);
    expect(f.stderr).toContain("PROMPT_TOO_LONG");
    expect(read(out)).toHaveLength(4);
  });

  it("a resume with other settings refuses, naming the setting, unless --force", () => {
    const out = join(dir, "resume.json");
    writeFileSync(out, readFileSync(base));
    const more = join(dir, "more.jsonl");
    writeFileSync(more, jsonl([...first, "The sun"]));
    const args = [
      "generate",
      "-m",
      storiesModel,
      "--template",
      "raw",
      "-n",
      "16",
      "-t",
      "1",
      "--input",
      more,
      "--output",
      out,
    ];
    const r = iit(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/RESUME_SETTINGS_CHANGED.*resume\.json.*--max-tokens 8 -> 16/);
    expect(read(out)).toHaveLength(3);
    // --parallel changes throughput only; a relative model path is the same model.
    const rel = relative(repoRoot, storiesModel);
    const same = iit([
      "generate",
      "-m",
      rel,
      ...common.slice(2),
      "--parallel",
      "2",
      "--input",
      more,
      "--output",
      out,
      "--json",
    ]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.json()).toMatchObject({ generated: 1, skipped: 3 });
    const forced = iit([...args, "--force", "--json"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.json()).toMatchObject({ generated: 0, skipped: 4 });
  });

  it("judge -o keeps earlier annotations when --outputs is empty", () => {
    const ann = join(dir, "annotations.json");
    const ref = join(dir, "ref.json");
    writeFileSync(ref, JSON.stringify(read(base).map((r: object) => ({ ...r, output: "The end.", generator: "ref" }))));
    const judge = (outputs: string) =>
      iit(["judge", "--outputs", outputs, "--reference", ref, "--judge", storiesModel, "-t", "1", "-o", ann, "--json"]);
    const r = judge(base);
    expect(r.code, r.stderr).toBe(0);
    const before = read(ann);
    expect(before).toHaveLength(3);
    const none = join(dir, "none.json");
    writeFileSync(none, "[]");
    const e = judge(none);
    expect(e.code, e.stderr).toBe(0);
    expect(e.json()).toMatchObject({ pairs: 0, kept: 3 });
    expect(read(ann)).toEqual(before);
  });

  it("merge: a missing part is an error naming it", () => {
    const out = join(dir, "merged.json");
    const r = iit(["merge", join(dir, "typo.json"), base, "-o", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/DATA_NOT_FOUND.*typo\.json/);
    expect(existsSync(out)).toBe(false);
  });
});

describe.skipIf(skip)("generate: a kill loses only the rows in flight (real processes)", () => {
  const dir = tempDir();
  const prompts = Array.from({ length: 40 }, (_, i) => `Once upon a time, number ${i}`);
  const input = join(dir, "prompts.jsonl");
  writeFileSync(input, jsonl(prompts));
  const args = (out: string) => [
    "generate",
    "-m",
    storiesModel,
    "--template",
    "raw",
    "-n",
    "128",
    "-t",
    "1",
    "--input",
    input,
    "--output",
    out,
  ];
  const whole = join(dir, "whole.json");
  // Start-up (Node, addon, model) timed by a one-token run: on a loaded machine it alone can take seconds.
  let startupMs = 0;
  beforeAll(() => {
    const one = join(dir, "one.jsonl");
    writeFileSync(one, jsonl(prompts.slice(0, 1)));
    const t0 = Date.now();
    expect(
      iit([
        "generate",
        "-m",
        storiesModel,
        "--template",
        "raw",
        "-n",
        "1",
        "-t",
        "1",
        "--input",
        one,
        "--output",
        join(dir, "one.json"),
      ]).code,
    ).toBe(0);
    startupMs = Date.now() - t0;
    expect(iit(args(whole)).code).toBe(0);
  });

  /**
   * Starts a run and sends `signal` once 2 rows are journaled. Code without a journal is signalled 2 s
   * after generation began: rows have finished by then, and none was saved (it saved 2 s after generation began).
   */
  const interrupted = (out: string, signal: NodeJS.Signals) =>
    iitAsync([...args(out), "--json"], {
      onSpawn: (c) => {
        const t0 = Date.now();
        const t = setInterval(() => {
          if (lines(`${out}.journal.jsonl`) >= 2 || Date.now() - t0 > startupMs + 2000) {
            clearInterval(t);
            c.kill(signal);
          }
        }, 10);
      },
    });

  it("SIGKILL: every finished row is recovered by the next run, which ends as an uninterrupted run", async () => {
    const out = join(dir, "killed.json");
    const r = await interrupted(out, "SIGKILL");
    expect(r.signal).toBe("SIGKILL");
    const finished = lines(`${out}.journal.jsonl`);
    const again = iit([...args(out), "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().skipped).toBeGreaterThanOrEqual(Math.max(finished, 2));
    expect(read(out)).toEqual(read(whole));
    expect(existsSync(`${out}.journal.jsonl`)).toBe(false);
  });

  it("SIGTERM is handled like Ctrl-C: finished rows are saved and the run exits 130", async () => {
    const out = join(dir, "term.json");
    const r = await interrupted(out, "SIGTERM");
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code).toBe(130);
    expect(r.json()).toMatchObject({ aborted: true });
    const rows = read(out);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows).toEqual(read(whole).slice(0, rows.length));
  });
});
