// Busy processes beside a measurement (`iit bench … --load N`), so busy-machine numbers are reproducible.
import { type ChildProcess, spawn } from "node:child_process";
import { InvalidOptionError } from "../errors.js";

// Spins one core in 50 ms slices, so that its event loop sees stdin close when the bench dies without
// killing it (process.ppid is read once at start: it cannot tell).
const SPIN =
  "process.stdin.on('end', () => process.exit(0)).resume();" +
  "const spin = () => { const t = Date.now(); while (Date.now() - t < 50); setImmediate(spin); }; spin();";

/** N spinning child processes, killed by dispose, on the bench's error path (await using) and at exit. */
export interface BusyLoad extends AsyncDisposable {
  readonly n: number;
  readonly pids: number[];
}

/** The number of busy processes, checked before a bench spends time on anything else. */
export function checkLoad(n: number): number {
  if (!Number.isInteger(n) || n < 0) {
    throw new InvalidOptionError("INVALID_OPTION", `--load must be a non-negative integer, got ${n}`, {
      suggestion: "e.g. --load 1: one busy process beside the measurement",
    });
  }
  return n;
}

export async function startLoad(n: number): Promise<BusyLoad> {
  checkLoad(n);
  const children: ChildProcess[] = [];
  const killAll = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  };
  process.on("exit", killAll);
  for (let i = 0; i < n; i++) {
    const c = spawn(process.execPath, ["-e", SPIN], { stdio: ["pipe", "ignore", "ignore"] });
    children.push(c);
    await new Promise<void>((resolve, reject) => {
      c.once("spawn", resolve);
      c.once("error", (e) => {
        killAll();
        process.off("exit", killAll);
        reject(e);
      });
    });
  }
  return {
    n,
    pids: children.map((c) => c.pid!),
    async [Symbol.asyncDispose]() {
      const exited = children
        .filter((c) => c.exitCode === null && c.signalCode === null)
        .map((c) => new Promise((r) => c.once("exit", r)));
      killAll();
      await Promise.all(exited);
      process.off("exit", killAll);
    },
  };
}
