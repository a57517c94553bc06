// A decode at 1 thread wakes none of the context's threadpool workers (native/patches/0006): a default
// context attaches a pool as large as the thread tuner may move to, and a tiny model decodes at 1 thread,
// so a wake per decode was a context switch per token (and beside a busy process, a wait for a core).
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startLoad } from "../../../src/bench/load.js";
import { loadModel } from "../../../src/model/Model.js";
import { repoRoot, skipNoAddon } from "../../helpers/fixtures.js";

/** Voluntary context switches of every thread of this process (a sleeping pool worker woken counts one). */
function voluntarySwitches(): number {
  let n = 0;
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const m = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(readFileSync(`/proc/self/task/${tid}/status`, "utf8"));
      n += Number(m?.[1] ?? 0);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return n;
}

describe.skipIf(skipNoAddon || availableParallelism() < 2)("threadpool wakes", () => {
  it("1-thread decodes with a 2-thread pool do not wake the pool's worker", async () => {
    await using model = await loadModel({ model: join(repoRoot, "models", "lab-base.gguf") });
    const gen = { template: "raw", maxTokens: 200, ignoreEos: true } as const;
    await model.generate(["Zene is a"], gen); // the context and its pool exist from here on
    // Every other core kept busy, as on the machine the patch is for: the tuner's free-core check then
    // keeps the decodes at 1 thread (on idle cores it may move to 2, which would leave few 1-thread ones).
    let switches: number;
    const stats0 = model.threadStats()!;
    {
      await using _busy = await startLoad(availableParallelism() - 1);
      await new Promise((r) => setTimeout(r, 200)); // the busy processes are running
      const before = voluntarySwitches();
      await model.generate(["Zene is a"], gen);
      switches = voluntarySwitches() - before;
    }
    const stats = model.threadStats()!;
    const one = stats.decodesByThreads[0] - stats0.decodesByThreads[0];
    const more =
      stats.decodesByThreads.slice(1).reduce((a, b) => a + b, 0) -
      stats0.decodesByThreads.slice(1).reduce((a, b) => a + b, 0);
    expect(stats.adaptive).toBe(true);
    expect(one).toBeGreaterThanOrEqual(150);
    // Without the patch every 1-thread decode wakes the worker: at least `one` switches. With it, only the
    // decodes on more threads (a probe's) and the call's own thread hand-offs do.
    expect(switches, `${switches} switches over ${one} 1-thread and ${more} 2+-thread decodes`).toBeLessThan(
      one / 2 + 2 * more + 20,
    );
  });
});
