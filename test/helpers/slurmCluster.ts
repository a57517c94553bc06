// A one-node Slurm cluster on this machine for tests: munged, slurmctld and slurmd as child processes
// with a minimal slurm.conf in a temporary folder, on loopback only. No cgroups (linuxproc, task/none).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { userInfo } from "node:os";
import { delimiter, join } from "node:path";
import { randomBytes } from "node:crypto";
import { tempDir } from "./fixtures.js";

const DAEMONS = ["munged", "slurmctld", "slurmd"];
const CLIENTS = ["sbatch", "squeue", "scancel", "sinfo"];

function which(bin: string): string | null {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin"];
  for (const d of dirs) if (d && existsSync(join(d, bin))) return join(d, bin);
  return null;
}

const missing = [...DAEMONS, ...CLIENTS].filter((b) => !which(b));
export const skipNoSlurm = missing.length
  ? `Slurm not installed (${missing.join(", ")} missing): apt-get install slurm-wlm munge; .ci/run installs them`
  : process.getuid?.() !== 0
    ? "the test Slurm cluster needs root (slurmd starts jobs as their user)"
    : false;

export interface SlurmCluster {
  dir: string;
  /** The environment for Slurm clients (SLURM_CONF) and anything that submits. */
  env: NodeJS.ProcessEnv;
  /** Runs a Slurm client against this cluster. */
  client(args: string[]): { code: number | null; stdout: string; stderr: string };
  /** Cancels every job, stops the daemons (SIGTERM, then SIGKILL), even after failures. */
  stop(): Promise<void>;
  logs(): string;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSlurmCluster(o: { cpus?: number } = {}): Promise<SlurmCluster> {
  const dir = tempDir("iit-slurm-");
  for (const d of ["state", "spool"]) mkdirSync(join(dir, d));
  const user = userInfo().username;
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const key = join(dir, "munge.key");
  writeFileSync(key, randomBytes(1024));
  chmodSync(key, 0o400);
  const sock = join(dir, "munge.sock");
  const conf = join(dir, "slurm.conf");
  writeFileSync(
    conf,
    [
      "ClusterName=iittest",
      "SlurmctldHost=localhost(127.0.0.1)",
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      `SlurmUser=${user}`,
      `SlurmdUser=${user}`,
      "AuthType=auth/munge",
      "CredType=cred/munge",
      `AuthInfo=socket=${sock}`,
      `StateSaveLocation=${join(dir, "state")}`,
      `SlurmdSpoolDir=${join(dir, "spool")}`,
      `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
      `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
      `SlurmctldLogFile=${join(dir, "slurmctld.log")}`,
      `SlurmdLogFile=${join(dir, "slurmd.log")}`,
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_Core",
      "MpiDefault=none",
      "MailProg=/bin/true",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      "ReturnToService=2",
      "MinJobAge=3600",
      "KillWait=10",
      `NodeName=localhost NodeAddr=127.0.0.1 CPUs=${o.cpus ?? 2} State=UNKNOWN`,
      "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
      "",
    ].join("\n"),
  );
  const env = { ...process.env, SLURM_CONF: conf, PATH: `${process.env.PATH}${delimiter}/usr/sbin${delimiter}/sbin` };
  const children: ChildProcess[] = [];
  const start = (bin: string, args: string[]) => {
    // Output to a file, not a pipe: a test blocked in spawnSync must never stall a daemon on a full pipe.
    const out = openSync(join(dir, `${bin}.out`), "w");
    const p = spawn(which(bin)!, args, { env, stdio: ["ignore", out, out] });
    closeSync(out);
    children.push(p);
    return p;
  };
  const client = (args: string[]) => {
    const r = spawnSync(which(args[0])!, args.slice(1), { env, encoding: "utf8", timeout: 30_000 });
    return { code: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  };
  const logs = () =>
    ["slurmctld.log", "slurmd.log", "munged.log", "slurmctld.out", "slurmd.out"]
      .filter((f) => existsSync(join(dir, f)))
      .map((f) => `== ${f}\n${readFileSync(join(dir, f), "utf8").split("\n").slice(-30).join("\n")}`)
      .join("\n");
  const stop = async () => {
    if (children.some((c) => c.exitCode === null && c.signalCode === null)) {
      client(["scancel", "--user", user]);
      for (let i = 0; i < 40 && client(["squeue", "-h"]).stdout.trim(); i++) await sleep(250);
    }
    for (const c of [...children].reverse()) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((r) => c.once("exit", r));
      c.kill("SIGTERM");
      if (!(await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]))) {
        c.kill("SIGKILL");
        await exited;
      }
    }
  };
  const cluster: SlurmCluster = { dir, env, client, stop, logs };
  try {
    start("munged", [
      "--foreground",
      "--force",
      `--socket=${sock}`,
      `--key-file=${key}`,
      `--pid-file=${join(dir, "munged.pid")}`,
      `--log-file=${join(dir, "munged.log")}`,
      `--seed-file=${join(dir, "munge.seed")}`,
    ]);
    for (let i = 0; i < 50 && !existsSync(sock); i++) await sleep(100);
    start("slurmctld", ["-D", "-c", "-f", conf]);
    start("slurmd", ["-D", "-N", "localhost", "-f", conf]);
    for (let i = 0; ; i++) {
      if (client(["sinfo", "-h", "-o", "%t"]).stdout.trim() === "idle") break;
      if (i > 150 || children.some((c) => c.exitCode !== null))
        throw new Error(`the test Slurm cluster did not come up:\n${logs()}`);
      await sleep(200);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return cluster;
}
