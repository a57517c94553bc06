// examples/micro.json on a real one-node Slurm cluster (munged, slurmctld, slurmd started here on
// loopback): submitted as a job graph, one job killed mid-run and the experiment re-submitted; the
// results must equal a local `iit experiment run` of the same config.
import { spawnSync } from "node:child_process";
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
  const slurmConfig = writeMicroConfig(dir, "slurm", { slurm: { resources: { default: { cpus: 1, time: "00:10:00" } } } });
  let cluster: SlurmCluster;
  let localSeconds = 0;

  const cli = (args: string[], timeout = 60_000) => {
    const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: repoRoot, env: cluster.env, encoding: "utf8", timeout });
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
      if (Date.now() > end) throw new Error(`jobs still live after ${timeoutMs / 1000} s: ${JSON.stringify(s.counts)}\n${cluster.logs()}`);
      await sleep(1000);
    }
  };

  beforeAll(async () => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [cliPath, "experiment", "run", localConfig], { cwd: repoRoot, encoding: "utf8", timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    localSeconds = (performance.now() - t0) / 1000;
    cluster = await startSlurmCluster();
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it("runs as a job graph; a job killed mid-run is re-submitted with only what is missing; same results as a local run", async () => {
    const t0 = performance.now();
    const first = JSON.parse(cli(["experiment", "submit", slurmConfig, "--slurm", "--json"]));
    expect(first.submitted).toHaveLength(22);
    expect(first.submitted.find((j: { step: string }) => j.step === "instruction-tuned/convert").after).toEqual([]);

    // Kill the first training job once it runs.
    const victim = first.submitted.find((j: { step: string }) => j.step === "instruction-tuned/s1/train");
    for (let i = 0; ; i++) {
      const st = cluster.client(["squeue", "-h", "-t", "all", "-j", victim.job, "-o", "%T"]).stdout.trim();
      if (st === "RUNNING") break;
      if (i > 600 || (st && st !== "PENDING")) throw new Error(`job ${victim.job} is ${st}, never seen running\n${cluster.logs()}`);
      await sleep(100);
    }
    await sleep(500);
    expect(cluster.client(["scancel", victim.job]).code).toBe(0);

    const broken = await settle(120_000);
    const byId = new Map(broken.steps.map((s) => [s.id, s]));
    expect(byId.get("instruction-tuned/s1/train")).toMatchObject({ state: "failed", job: victim.job, slurm: expect.stringMatching(/^CANCELLED/) });
    expect(existsSync(byId.get("instruction-tuned/s1/train")!.log!)).toBe(true);
    // Everything downstream of it was cancelled by Slurm (afterok can never be satisfied).
    for (const id of ["instruction-tuned/s1/generate", "rules/s1/judge", "aggregate"]) expect(byId.get(id)!.state).toBe("failed");
    expect(byId.get("instruction-tuned/convert")!.state).toBe("done");
    expect(byId.get("response-tuned/s2/judge")!.state).toBe("done");

    const second = JSON.parse(cli(["experiment", "submit", slurmConfig, "--slurm", "--json"]));
    const notDone = broken.steps.filter((s) => s.state !== "done").map((s) => s.id);
    expect(second.submitted.map((j: { step: string }) => j.step)).toEqual(notDone);
    expect(second.done).toEqual(broken.steps.filter((s) => s.state === "done").map((s) => s.id));

    const end = await settle(150_000);
    expect(end.counts).toEqual({ done: 22, queued: 0, running: 0, failed: 0, missing: 0 });
    const slurmSeconds = (performance.now() - t0) / 1000;
    console.error(`micro.json: local run ${localSeconds.toFixed(1)} s; on Slurm with one job killed and re-submitted ${slurmSeconds.toFixed(1)} s`);

    const results = (name: string) => JSON.parse(readFileSync(join(dir, name, "results.json"), "utf8"));
    const [local, slurm] = [results("local"), results("slurm")];
    expect(slurm.table).toEqual(local.table);
    expect(slurm.lengths).toEqual(local.lengths);
    expect(slurm.generations).toEqual(local.generations);
    // The shared folder is intact: the hash cache parses, no step lock is left behind.
    JSON.parse(readFileSync(join(dir, "slurm", ".file-hashes.json"), "utf8"));
    const stepsDir = join(dir, "slurm", "steps");
    const locks = readdirSync(stepsDir, { recursive: true }).filter((f) => String(f).endsWith(".lock"));
    expect(locks).toEqual([]);
  }, 330_000);
});
