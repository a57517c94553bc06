// `iit experiment submit --slurm --dry-run` and `iit experiment status` without a cluster: the sbatch
// scripts (resources per step, afterok edges of the plan), cached steps left out, and the step lock.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { iit } from "../../helpers/cli.js";
import { cliPath, repoRoot, sharedDir, tempDir } from "../../helpers/fixtures.js";
import { writeMicroConfig } from "../../helpers/microConfig.js";

const skip = !existsSync(cliPath)
  ? "CLI not built (npm run build:ts)"
  : !existsSync(join(sharedDir, "data", "lima", "lima_data.jsonl"))
    ? "../shared/data/lima absent"
    : false;

const slurm = {
  resources: {
    default: { cpus: 1, mem: "2G", time: "00:20:00", sbatch: ["--account=nlp"] },
    train: { gpus: 1, mem: "8G", time: "02:00:00" },
    "instruction-tuned/train": { partition: "big" },
    aggregate: { time: "00:05:00" },
  },
  setup: ["module load nodejs"],
};

/** The dry run's scripts by step id. */
function scripts(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of stdout.split(/^# ---- /m).slice(1)) {
    const [head, ...rest] = part.split("\n");
    out.set(head.replace(/ ----$/, ""), rest.join("\n").replace(/\n+$/, "\n"));
  }
  return out;
}

describe.skipIf(skip)("iit experiment submit --slurm --dry-run, status (no cluster)", () => {
  it("prints one sbatch script per step: resources by kind, arm/kind and default, afterok edges of the plan", () => {
    const dir = tempDir("iit-submit-");
    const config = writeMicroConfig(dir, "micro", { slurm });
    const r = iit(["experiment", "submit", config, "--slurm", "--dry-run", "--sbatch=--qos=low"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("micro: would submit 22 job(s); 0 step(s) done");
    const s = scripts(r.stdout);
    expect(s.size).toBe(22);
    const convert = s.get("instruction-tuned/convert")!;
    expect(convert).toMatch(/^#!\/bin\/bash\n/);
    expect(convert).toContain("#SBATCH --cpus-per-task=1\n#SBATCH --mem=2G\n#SBATCH --time=00:20:00\n");
    expect(convert).not.toContain("--dependency");
    expect(convert).toContain(
      `#SBATCH --output=${join(dir, "micro", "slurm", "logs", "instruction-tuned.convert-%j.log")}`,
    );
    expect(convert).toContain("#SBATCH --account=nlp\n#SBATCH --qos=low\n");
    expect(convert).toMatch(
      new RegExp(
        `module load nodejs\nexec \\S+ \\S+dist/cli/main\\.js experiment run ${config} --only instruction-tuned/convert\n$`,
      ),
    );
    const itTrain = s.get("instruction-tuned/s2/train")!;
    expect(itTrain).toContain(
      "#SBATCH --gres=gpu:1\n#SBATCH --mem=8G\n#SBATCH --time=02:00:00\n#SBATCH --partition=big\n",
    );
    expect(itTrain).toContain(
      "#SBATCH --dependency=afterok:{instruction-tuned/convert}\n#SBATCH --kill-on-invalid-dep=yes\n",
    );
    expect(s.get("response-tuned/s1/train")).not.toContain("--partition");
    expect(s.get("rules/s2/judge")).toContain(
      "#SBATCH --dependency=afterok:{rules/generate}:{instruction-tuned/s2/generate}\n",
    );
    expect(s.get("rules/generate")).not.toContain("--dependency");
    const agg = s.get("aggregate")!;
    expect(agg).toContain("#SBATCH --time=00:05:00\n");
    expect(agg.match(/--dependency=afterok:(\S+)/)![1].split(":")).toHaveLength(8 + 7); // every judge and generate step
    expect(existsSync(join(dir, "micro"))).toBe(false); // a dry run writes nothing
  });

  it("leaves out steps already done; status shows each step's state", () => {
    const dir = tempDir("iit-submit-");
    const config = writeMicroConfig(dir, "micro", { slurm });
    const before = iit(["experiment", "status", config, "--json"]);
    expect(before.code, before.stderr).toBe(0);
    expect(before.json().counts).toEqual({ done: 0, queued: 0, running: 0, failed: 0, missing: 22 });
    const run = iit(["experiment", "run", config, "--only", "instruction-tuned/convert"]);
    expect(run.code, run.stderr).toBe(0);
    const st = iit(["experiment", "status", config]);
    expect(st.stdout).toContain("micro: 22 steps in");
    expect(st.stdout).toMatch(/✓ instruction-tuned\/convert +done/);
    expect(st.stdout).toMatch(/- response-tuned\/convert +missing/);
    const r = iit(["experiment", "submit", config, "--slurm", "--dry-run"]);
    expect(r.stderr).toContain("would submit 21 job(s); 1 step(s) done");
    const s = scripts(r.stdout);
    expect(s.has("instruction-tuned/convert")).toBe(false);
    expect(s.get("instruction-tuned/s1/train")).not.toContain("--dependency"); // its upstream is done
  });

  it("needs a scheduler flag", () => {
    const dir = tempDir("iit-submit-");
    const r = iit(["experiment", "submit", writeMicroConfig(dir, "micro")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("needs a scheduler: --slurm");
  });

  it("a step locked by another live process is not run twice (EXPERIMENT_STEP_BUSY), and runs once that process is gone", async () => {
    const dir = tempDir("iit-submit-");
    const config = writeMicroConfig(dir, "micro");
    const plan = iit(["experiment", "run", config, "--dry-run", "--json"]).json();
    const step = plan.steps.find((s: { id: string }) => s.id === "response-tuned/convert");
    const lock = join(step.dir, ".lock");
    const p = spawn(
      process.execPath,
      [
        "-e",
        `const fs = require("fs"); fs.mkdirSync(${JSON.stringify(step.dir)}, { recursive: true }); fs.writeFileSync(${JSON.stringify(lock)}, JSON.stringify({ host: require("os").hostname(), pid: process.pid, job: "12", since: "now", token: "t" })); console.log("held"); setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise((r) => p.stdout!.once("data", r));
    try {
      const busy = iit(["experiment", "run", config, "--only", "response-tuned/convert"]);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain(
        `error [EXPERIMENT_STEP_BUSY]: step response-tuned/convert is being run by another process (host `,
      );
      expect(busy.stderr).toContain(`pid ${p.pid}, Slurm job 12`);
      expect(existsSync(join(step.dir, "step.json"))).toBe(false);
    } finally {
      p.kill("SIGKILL");
      await new Promise((r) => p.once("exit", r));
    }
    const ok = iit(["experiment", "run", config, "--only", "response-tuned/convert"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(join(step.dir, "step.json"))).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });
});

describe("docs/cluster.md", () => {
  it("its slurm section for the paper config is valid and gives the documented requests", async () => {
    const { parseExperimentConfig } = await import("../../../src/experiment/config.js");
    const { submitExperiment } = await import("../../../src/experiment/slurm.js");
    const md = readFileSync(join(repoRoot, "docs", "cluster.md"), "utf8");
    const block = md.match(/```json\n("slurm": [\s\S]*?)\n```/)![1];
    const paper = join(repoRoot, "examples", "paper-llama2.json");
    const v = { ...JSON.parse(readFileSync(paper, "utf8")), ...JSON.parse(`{${block}}`) };
    const r = await submitExperiment(parseExperimentConfig(v, { source: paper }), { dryRun: true });
    expect(r.submitted).toHaveLength(143);
    const script = (id: string) => r.submitted.find((j) => j.step === id)!.script;
    expect(script("single-task-gsm/s3/train")).toContain(
      "#SBATCH --cpus-per-task=8\n#SBATCH --gres=gpu:1\n#SBATCH --mem=160G\n#SBATCH --time=1-00:00:00\n#SBATCH --partition=gpu\n",
    );
    expect(script("rules/s5/judge")).toContain(
      "#SBATCH --cpus-per-task=2\n#SBATCH --mem=8G\n#SBATCH --time=12:00:00\n#SBATCH --partition=cpu\n",
    );
    expect(script("rules/s5/judge")).toContain("module load cuda/12.4\nexec ");
  });
});
