// examples/micro.json on a real one-node Slurm cluster (munged, slurmctld, slurmd started here on
// loopback): submitted as a job graph, one job killed mid-run and the experiment re-submitted; the
// results must equal a local `iit experiment run` of the same config.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath, repoRoot, sharedDir, skipNoModel, tempDir } from "../../helpers/fixtures.js";
import { writeMicroConfig } from "../../helpers/microConfig.js";
import { skipNoSlurm, startSlurmCluster, type SlurmCluster } from "../../helpers/slurmCluster.js";

const skip =
  skipNoSlurm ||
  skipNoModel ||
  (!existsSync(cliPath) ? "CLI not built (npm run build:ts)" : false) ||
  (existsSync(join(sharedDir, "data", "lima", "lima_data.jsonl")) ? false : "../shared/data/lima absent");

interface Status {
  steps: { id: string; state: string; job: string | null; slurm: string | null; log: string | null }[];
  counts: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip)("examples/micro.json on a one-node Slurm cluster", () => {
  const dir = tempDir("iit-slurm-run-");
  // One CPU and one thread per job: the node's 2 CPUs run two steps at a time.
  const localConfig = writeMicroConfig(dir, "local");
  const slurmConfig = writeMicroConfig(dir, "slurm", {
    slurm: { resources: { default: { cpus: 1, time: "00:10:00" } } },
  });
  let cluster: SlurmCluster;
  let localSeconds = 0;

  const cli = (args: string[], timeout = 60_000) => {
    const r = spawnSync(process.execPath, [cliPath, ...args], {
      cwd: repoRoot,
      env: cluster.env,
      encoding: "utf8",
      timeout,
    });
    if (r.status !== 0) throw new Error(`iit ${args.join(" ")} exited ${r.status}:\n${r.stderr}\n${cluster.logs()}`);
    return r.stdout;
  };
  const status = (): Status => JSON.parse(cli(["experiment", "status", slurmConfig, "--json"]));
  /** Polls until no step has a live job; returns the last status. */
  const settle = async (timeoutMs: number): Promise<Status> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = status();
      if (!s.counts.queued && !s.counts.running) return s;
      if (Date.now() > end)
        throw new Error(`jobs still live after ${timeoutMs / 1000} s: ${JSON.stringify(s.counts)}\n${cluster.logs()}`);
      await sleep(1000);
    }
  };

  beforeAll(async () => {
    cluster = await startSlurmCluster();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it("runs as a job graph; a job killed mid-run is re-submitted with only what is missing; same results as a local run", async () => {
    // The local run goes on beside the cluster's jobs (one thread; the jobs take the node's 2 CPUs).
    const t0 = performance.now();
    const localRun = new Promise<void>((res, rej) => {
      const p = spawn(process.execPath, [cliPath, "experiment", "run", localConfig], {
        cwd: repoRoot,
        stdio: ["ignore", "ignore", "pipe"],
      });
      let err = "";
      p.stderr.on("data", (d) => (err += d));
      p.once("exit", (code) => {
        localSeconds = (performance.now() - t0) / 1000;
        if (code === 0) res();
        else rej(new Error(`local iit experiment run exited ${code}:\n${err}`));
      });
    });
    const first = JSON.parse(cli(["experiment", "submit", slurmConfig, "--slurm", "--json"]));
    expect(first.submitted).toHaveLength(22);
    expect(first.submitted.find((j: { step: string }) => j.step === "instruction-tuned/convert").after).toEqual([]);

    // Kill the first training job once it runs.
    const victim = first.submitted.find((j: { step: string }) => j.step === "instruction-tuned/s1/train");
    for (let i = 0; ; i++) {
      const st = cluster.client(["squeue", "-h", "-t", "all", "-j", victim.job, "-o", "%T"]).stdout.trim();
      if (st === "RUNNING") break;
      if (i > 600 || (st && st !== "PENDING"))
        throw new Error(`job ${victim.job} is ${st}, never seen running\n${cluster.logs()}`);
      await sleep(100);
    }
    await sleep(2000); // into its first epoch: SIGTERM makes it save a checkpoint that the re-submitted job resumes from
    expect(cluster.client(["scancel", victim.job]).code).toBe(0);

    // Slurm cancels everything downstream of it (afterok can never be satisfied); the rest runs on.
    let broken: Status;
    for (let i = 0; ; i++) {
      broken = status();
      if (broken.steps.find((s) => s.id === "aggregate")!.state === "failed") break;
      if (i > 60)
        throw new Error(
          `the cancelled job's dependents were not cancelled: ${JSON.stringify(broken.steps)}\n${cluster.logs()}`,
        );
      await sleep(1000);
    }
    const byId = new Map(broken.steps.map((s) => [s.id, s]));
    expect(byId.get("instruction-tuned/s1/train")).toMatchObject({
      state: "failed",
      job: victim.job,
      slurm: expect.stringMatching(/^CANCELLED/),
    });
    expect(existsSync(byId.get("instruction-tuned/s1/train")!.log!)).toBe(true);
    for (const id of ["instruction-tuned/s1/generate", "rules/s1/judge"]) expect(byId.get(id)!.state).toBe("failed");
    expect(byId.get("instruction-tuned/convert")!.state).toBe("done");

    // Re-submit while the other jobs still run: only what failed is submitted, live jobs are kept.
    const second = JSON.parse(cli(["experiment", "submit", slurmConfig, "--slurm", "--json"]));
    const resubmitted: string[] = second.submitted.map((j: { step: string }) => j.step);
    const kept: string[] = second.live.map((j: { step: string }) => j.step);
    expect([...resubmitted, ...kept, ...second.done].sort()).toEqual(broken.steps.map((s) => s.id).sort());
    for (const s of broken.steps) {
      if (s.state === "failed") expect(resubmitted).toContain(s.id);
      if (s.state === "done") expect(second.done).toContain(s.id);
    }
    expect(resubmitted).not.toContain("instruction-tuned/convert");
    expect(kept.length, "no job was still live: the re-submit kept nothing").toBeGreaterThan(0);

    const end = await settle(400_000);
    expect(end.counts).toEqual({ done: 22, queued: 0, running: 0, failed: 0, missing: 0 });
    const slurmSeconds = (performance.now() - t0) / 1000;
    await localRun;
    console.error(
      `micro.json side by side: local run ${localSeconds.toFixed(1)} s; on Slurm with one job killed and re-submitted ${slurmSeconds.toFixed(1)} s`,
    );

    const results = (name: string) => JSON.parse(readFileSync(join(dir, name, "results.json"), "utf8"));
    const [local, slurm] = [results("local"), results("slurm")];
    expect(slurm.table).toEqual(local.table);
    const lengths = (r: { lengths: { arms: { files: string[] }[] } }) =>
      r.lengths.arms.map(({ files, ...rest }) => ({ ...rest, files: files.length }));
    expect(lengths(slurm)).toEqual(lengths(local)); // the same numbers; files in each output folder
    expect(slurm.generations).toEqual(local.generations);
    // The shared folder is intact: the hash cache parses, no step lock is left behind.
    JSON.parse(readFileSync(join(dir, "slurm", ".file-hashes.json"), "utf8"));
    const stepsDir = join(dir, "slurm", "steps");
    const locks = readdirSync(stepsDir, { recursive: true }).filter((f) => String(f).endsWith(".lock"));
    expect(locks).toEqual([]);
  }, 600_000);
});
