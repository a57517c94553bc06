// Without an explicit thread count, each decode and training window runs at the count the thread tuner
// chose (native/src/threading/thread-tuner.h; its decisions have their own C++ test), the count reaches
// ggml, and it changes nothing in what is computed.
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadAddon } from "../../../src/bindings/loadAddon.js";
import { loadModel } from "../../../src/model/Model.js";
import { train } from "../../../src/training/train.js";
import { writeJsonlAtomic } from "../../../src/data/messages.js";
import { tuningSets } from "../../../src/lab/corpus.js";
import { makeWorld } from "../../../src/lab/world.js";
import { repoRoot, skipNoModel, tempDir } from "../../helpers/fixtures.js";

// These tests need probes at 2 threads; a busy CI machine would have them skipped for want of a free core.
process.env.IIT_FREE_CORE_CHECK = "0";

const labBase = join(repoRoot, "models", "lab-base.gguf");
const cores = availableParallelism();
// The first probe runs after 8 decodes (iit_thread_tuner::kFirst), at least its first decode at the other
// count; on a loaded machine that one can end it (kAbandon), so 1 is all a test can count on.
const PROBED = 1;

/** CPU clock ticks (user + system) of each thread of this process. */
function threadTicks(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from the 3rd on
      out.set(tid, Number(f[11]) + Number(f[12])); // utime, stime
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

describe.skipIf(skipNoModel || cores < 2)("adaptive threads", () => {
  it("generation: a default context adapts up to the cores, an explicit count does not; outputs are identical", async () => {
    const prompts = Array.from({ length: 48 }, (_, i) => `Zene ${i} is a`);
    const gen = { template: "raw", maxTokens: 24, parallel: 16, ignoreEos: true } as const;
    await using fixed = await loadModel({ model: labBase, threads: 1 });
    await using auto = await loadModel({ model: labBase });
    const a = await fixed.generate(prompts, gen);
    const b = await auto.generate(prompts, gen);
    expect(b.map((r) => r.output)).toEqual(a.map((r) => r.output));
    const f = fixed.threadStats()!;
    const s = auto.threadStats()!;
    expect(f).toMatchObject({ adaptive: false, threads: 1 });
    expect(fixed._contextFor(8).info().maxThreads).toBe(1);
    expect(s.adaptive).toBe(true);
    expect(auto._contextFor(8).info().maxThreads).toBe(cores);
    // the same decodes, some of them (a probe's) on another count than the first
    const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
    expect(sum(s.decodesByThreads)).toBe(f.decodesByThreads[0]);
    expect(s.decodesByThreads[1]).toBeGreaterThanOrEqual(PROBED);
  });

  it("training: the windows run on the counts the tuner chose, with the same bytes as a fixed count", async () => {
    const dir = tempDir();
    const data = join(dir, "train.jsonl");
    await writeJsonlAtomic(data, tuningSets(makeWorld({ seed: 1 })).instruct);
    const base = { model: labBase, data, mode: "lm", nCtx: 256, maxExamples: 40, epochs: 1, lr: 1e-4 } as const;
    const one = await train({ ...base, output: join(dir, "one.gguf"), threads: 1 });
    const auto = await train({ ...base, output: join(dir, "auto.gguf") });
    expect(one.windows_by_threads).toEqual([40]);
    expect(auto.windows_by_threads?.reduce((x, y) => x + y, 0)).toBe(40);
    expect(auto.windows_by_threads?.[1]).toBeGreaterThanOrEqual(PROBED);
    expect(readFileSync(join(dir, "auto.gguf")).equals(readFileSync(join(dir, "one.gguf")))).toBe(true);
  }, 120_000);

  it("training: a window the tuner gives 2 threads keeps the pool's second thread busy (native/patches/0004)", async () => {
    const t = new (loadAddon().AddonTrainer)();
    const before = threadTicks();
    await t.create({
      modelPath: labBase,
      loraPath: "",
      nCtx: 256,
      threads: 1,
      maxThreads: 2,
      gpuLayers: 0,
      sgd: false,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
    });
    try {
      const created = [...threadTicks().keys()].filter((tid) => !before.has(tid)); // the home thread and the pool's
      const start = threadTicks();
      const tokens = Int32Array.from({ length: 256 }, (_, i) => 3 + (i % 50));
      const labels = Int32Array.from({ length: 256 }, (_, i) => 3 + ((i + 1) % 50));
      for (let w = 0; w < 24; w++) await t.window(tokens, labels, true, 1 / 256);
      const steps = t.info().stepsByThreads;
      expect(steps[1]).toBeGreaterThanOrEqual(PROBED);
      const end = threadTicks();
      const busy = created.filter((tid) => (end.get(tid) ?? 0) - (start.get(tid) ?? 0) >= 1);
      // Without the patch, the training graph keeps the warm-up decode's single thread and the second
      // thread of the pool never wakes.
      expect(busy.length, `new threads ${created.join(", ")}; windows by threads ${steps}`).toBeGreaterThanOrEqual(2);
    } finally {
      t.dispose();
    }
  }, 120_000);
});
