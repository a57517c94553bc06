// SIGTERM (kill, scancel, a Slurm time limit) stops a step the way Ctrl-C does: it saves, releases
// the step's lock and exits 130, so the re-run (the re-submitted job) resumes.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { cliPath, repoRoot, sharedDir, skipNoModel, tempDir } from "../../helpers/fixtures.js";
import { writeMicroConfig } from "../../helpers/microConfig.js";

const skip =
  skipNoModel ||
  (!existsSync(cliPath) ? "CLI not built (npm run build:ts)" : false) ||
  (existsSync(join(sharedDir, "data", "lima", "lima_data.jsonl")) ? false : "../shared/data/lima absent");

describe.skipIf(skip)("iit experiment run on SIGTERM", () => {
  it("a training step saves a checkpoint, leaves no lock and exits 130; the re-run finishes it", async () => {
    const dir = tempDir("iit-term-");
    const config = writeMicroConfig(dir, "micro");
    expect(iit(["experiment", "run", config, "--only", "instruction-tuned/convert"]).code).toBe(0);
    const step = iit(["experiment", "run", config, "--dry-run", "--json"])
      .json()
      .steps.find((s: { id: string }) => s.id === "instruction-tuned/s1/train");
    const p = spawn(process.execPath, [cliPath, "experiment", "run", config, "--only", "instruction-tuned/s1/train"], {
      cwd: repoRoot,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    let sent = false;
    p.stderr.on("data", (d) => {
      err += d;
      if (err.includes("▶ instruction-tuned/s1/train") && !sent) {
        sent = true;
        setTimeout(() => p.kill("SIGTERM"), 1000);
      }
    });
    const code = await new Promise<number | null>((r) => p.once("close", r)); // after stderr is read
    expect(code, err).toBe(130);
    expect(err).toContain("interrupted (SIGTERM): finishing what is running and saving");
    expect(existsSync(join(step.dir, "adapter.gguf.ckpt", "state.json"))).toBe(true);
    expect(existsSync(join(step.dir, ".lock"))).toBe(false);
    expect(existsSync(join(step.dir, "step.json"))).toBe(false);
    const again = iit(["experiment", "run", config, "--only", "instruction-tuned/s1/train"], { timeout: 300_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(join(step.dir, "step.json"))).toBe(true);
  }, 400_000);
});
