// Issue 25 item 5 (and 14's "--resume"): lab run --dry-run runs nothing, seeds are checked, a named --base
// must exist, and an interrupted pretraining says how to resume and leaves only its checkpoint.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { cliPath, repoRoot, skipNoAddon, tempDir } from "../../helpers/fixtures.js";

const skip = skipNoAddon || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");
const WORLD = 424242; // a world nobody pretrains: its default base must not appear in models/
const models = join(repoRoot, "models");
const baseFiles = () => readdirSync(models).filter((f) => f.startsWith(`lab-base-world-${WORLD}`));

describe.skipIf(skip)("iit lab: inputs checked before any work (real processes)", () => {
  const dir = tempDir("iit-lab-inputs-");
  afterAll(() => {
    for (const f of baseFiles()) rmSync(join(models, f), { recursive: true, force: true }); // the old code's pretraining
  });

  it("run --dry-run on a world without a base lists the plan, marks the base missing and pretrains nothing", () => {
    const r = spawnSync(
      process.execPath,
      [cliPath, "lab", "run", "--world", String(WORLD), "-o", join(dir, "dry"), "-t", "1", "--dry-run", "--json"],
      {
        cwd: repoRoot,
        encoding: "utf8",
        timeout: 30_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.dryRun).toBe(true);
    expect(j.steps.find((s: { id: string }) => s.id === "lab/world").missing).toEqual({
      base: join(models, `lab-base-world-${WORLD}.gguf`),
    });
    expect(baseFiles()).toEqual([]);
    expect(existsSync(join(dir, "dry"))).toBe(false);
  });

  it("seeds must be positive 32-bit integers written as such", () => {
    for (const args of [
      ["run", "--world", "0"],
      ["run", "--world=-1"],
      ["run", "--world", "1e9"],
      ["run", "--world", "4294967296"],
      ["run", "--seeds", "0"],
      ["pretrain", "--seed", "0"],
    ]) {
      const r = iit(
        ["lab", ...args, "-o", join(dir, "never"), "--dry-run"].filter((a) => args[0] === "run" || a !== "--dry-run"),
        { timeout: 20_000 },
      );
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/INVALID_OPTION.*--(seeds?|world) .*positive/);
    }
    expect(existsSync(join(dir, "never"))).toBe(false);
  });

  it("a --base that does not exist is an error naming it, not a pretraining", () => {
    for (const extra of [[], ["--dry-run"]]) {
      const r = iit(["lab", "run", "--base", join(dir, "nope.gguf"), "-o", join(dir, "typo"), "-t", "1", ...extra], {
        timeout: 20_000,
      });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/LAB_BASE_NOT_FOUND.*nope\.gguf/);
      expect(r.stderr).not.toMatch(/pretraining/);
    }
    expect(existsSync(join(dir, "nope.gguf.work"))).toBe(false);
  });

  it("an interrupted pretraining exits 130 telling how to resume (no --resume), keeps only its checkpoint, and resumes", async () => {
    const out = join(dir, "base.gguf");
    const args = [cliPath, "lab", "pretrain", "--seed", "424243", "-o", out, "--tokens", "12000", "-t", "1"];
    const c = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    c.stderr.on("data", (d) => {
      err += d;
      if (/pretraining on/.test(err) && c.exitCode === null && !c.killed) setTimeout(() => c.kill("SIGTERM"), 1500);
    });
    const code = await new Promise<number | null>((r) => c.on("close", r));
    expect(code, err).toBe(130);
    expect(err).not.toContain("--resume");
    expect(err).toMatch(/iit lab pretrain/);
    expect(existsSync(`${out}.work`)).toBe(false);
    expect(existsSync(join(`${out}.ckpt`, "state.json"))).toBe(true);

    const again = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: "utf8", timeout: 120_000 });
    expect(again.status, again.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(existsSync(`${out}.work`)).toBe(false);
    expect(existsSync(`${out}.ckpt`)).toBe(false);
  }, 180_000);
});
