// `iit rules fit` as a user runs it, on the lab's real base and dev prompts (1 thread): deterministic
// for a seed, free on a rerun, resumable after Ctrl-C, typed errors for bad input.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { labPrompts } from "../../../src/lab/corpus.js";
import { makeWorld } from "../../../src/lab/world.js";
import { parseRuleSpec } from "../../../src/rules/loadRules.js";
import { iit } from "../../helpers/cli.js";
import { cliPath, repoRoot, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";
import { iitAsync } from "../serve/proc.js";

const labBase = join(repoRoot, "models", "lab-base.gguf");
const skip =
  skipNoModel ||
  (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)") ||
  (existsSync(labBase) ? false : "models/lab-base.gguf missing");

describe.skipIf(skip)("iit rules fit on the lab base (real processes)", () => {
  const dir = tempDir("iit-rules-fit-");
  // Every fifth dev prompt of world 1: 30 prompts, all five tasks, every dev creature.
  const dev = join(dir, "dev.jsonl");
  writeFileSync(
    dev,
    labPrompts(makeWorld({ seed: 1 }))
      .dev.filter((_, i) => i % 5 === 0)
      .map((p) => JSON.stringify(p))
      .join("\n") + "\n",
  );
  const fit = (out: string, extra: string[] = []) => [
    "rules",
    "fit",
    "-m",
    labBase,
    "--dev",
    dev,
    "--scorer",
    "lab",
    "-o",
    out,
    "-t",
    "1",
    "--name",
    "fitted",
    "--json",
    ...extra,
  ];

  it("writes a valid rule file, the same bytes for the same seed, and a rerun costs no evaluation", () => {
    const a = join(dir, "a.json");
    const r1 = iit(fit(a, ["--max-evals", "6"]), { timeout: 300_000 });
    expect(r1.code, r1.stderr).toBe(0);
    const s1 = r1.json();
    expect([s1.evals, s1.cached]).toEqual([6, 0]);
    expect(s1.score.score).toBeGreaterThanOrEqual(s1.base.score);
    const spec = parseRuleSpec(JSON.parse(readFileSync(a, "utf8")), a);
    expect(spec.description).toContain(`sha256 ${s1.dev_hash.slice(0, 16)}`);
    expect(spec.description).toContain("budget 6 evaluations");
    expect(existsSync(`${a}.cache.jsonl`)).toBe(true);

    const first = readFileSync(a, "utf8");
    const r2 = iit(fit(a, ["--max-evals", "6"]), { timeout: 300_000 });
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.json().cached).toBe(r2.json().evals); // every evaluation from the cache
    expect(readFileSync(a, "utf8")).toBe(first);

    // Another cache, the same seed: the same search, the same file.
    const b = join(dir, "b.json");
    const r3 = iit(fit(b, ["--max-evals", "6", "--cache", join(dir, "b.cache.jsonl")]), { timeout: 300_000 });
    expect(r3.code, r3.stderr).toBe(0);
    expect(r3.json().cached).toBe(0);
    expect(readFileSync(b, "utf8")).toBe(first);
  }, 900_000);

  it("resumes after Ctrl-C: evaluations already done are not redone, and the result equals an uninterrupted run's", async () => {
    const out = join(dir, "resumed.json");
    const cache = `${out}.cache.jsonl`;
    const lines = () => (existsSync(cache) ? readFileSync(cache, "utf8").split("\n").filter(Boolean).length : 0);
    const run = await iitAsync(fit(out, ["--max-evals", "8"]), {
      onSpawn: (c) => {
        const poll = setInterval(() => {
          if (lines() >= 3) {
            clearInterval(poll);
            c.kill("SIGINT");
          }
        }, 50);
        c.on("close", () => clearInterval(poll));
      },
    });
    expect(run.code, run.stderr).toBe(130);
    expect(existsSync(out)).toBe(false); // nothing half-fitted is written
    const done = lines();
    expect(done).toBeGreaterThanOrEqual(3);
    const again = iit(fit(out, ["--max-evals", "8"]), { timeout: 300_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().cached).toBeGreaterThanOrEqual(done);
    const fresh = join(dir, "fresh.json");
    const whole = iit(fit(fresh, ["--max-evals", "8"]), { timeout: 300_000 });
    expect(whole.code, whole.stderr).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(fresh, "utf8"));
  }, 900_000);

  it("--seconds stops the search after the evaluation running when it expires, and still writes the best spec", () => {
    const out = join(dir, "timed.json");
    const r = iit(fit(out, ["--seconds", "1", "--max-evals", "500"]), { timeout: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    const s = r.json();
    expect(s.stopped).toBe("time");
    expect(s.evals).toBeLessThan(500);
    expect(s.score.score).toBeGreaterThanOrEqual(s.base.score);
    parseRuleSpec(JSON.parse(readFileSync(out, "utf8")), out);
  }, 300_000);

  const typed = (r: { code: number | null; stderr: string }, code: string, ...names: string[]) => {
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toContain(`error [${code}]`);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    for (const n of names) expect(r.stderr).toContain(n);
  };

  it("a bad --dev, a dev set of another kind, a non-lab base and bad candidates are typed errors; no output is written", () => {
    const out = join(dir, "never.json");
    typed(iit(fit(out).map((a) => (a === dev ? join(dir, "missing.jsonl") : a))), "DATA_NOT_FOUND", "missing.jsonl");
    const plain = join(dir, "plain.jsonl");
    writeFileSync(plain, '{"instruction": "what colour is Bigi?"}\n');
    typed(iit(fit(out).map((a) => (a === dev ? plain : a))), "FIT_DEV_NOT_LAB", "plain.jsonl", "row 1");
    const other = join(dir, "other-world.jsonl");
    // No world has an "x" in a name (src/lab/world.ts: CONSONANTS).
    writeFileSync(
      other,
      JSON.stringify({ instruction: "what colour is Xuxu?", creature: "Xuxu", task: "colour" }) + "\n",
    );
    typed(iit(fit(out).map((a) => (a === dev ? other : a))), "FIT_DEV_WRONG_WORLD", "Xuxu", "world 1");
    typed(iit(fit(out).map((a) => (a === labBase ? storiesModel : a))), "FIT_NOT_LAB_BASE", "stories260K");
    // The lab's evaluation prompts are never evidence for a fit.
    const evalRows = join(dir, "eval.jsonl");
    writeFileSync(
      evalRows,
      labPrompts(makeWorld({ seed: 1 }))
        .eval.slice(0, 3)
        .map((p) => JSON.stringify(p))
        .join("\n") + "\n",
    );
    typed(iit(fit(out).map((a) => (a === dev ? evalRows : a))), "FIT_DEV_IS_EVAL", "eval.jsonl", "row 1");
    const cands = join(dir, "cands.json");
    writeFileSync(cands, '{"tokens": ["<"]}');
    typed(iit([...fit(out), "--candidates", cands]), "FIT_CANDIDATES_INVALID", "cands.json");
    typed(iit(fit(out).map((a) => (a === "lab" ? "judge" : a))), "INVALID_OPTION", "--judge");
    typed(iit([...fit(out), "--keep-at", "1.5"]), "INVALID_OPTION", "--keep-at");
    expect(existsSync(out)).toBe(false);
  }, 300_000);
});
