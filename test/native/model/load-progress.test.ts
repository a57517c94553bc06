// Model loading reports progress, can be aborted, tells V8 what it holds, and says where the model runs.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../src/model/Model.js";
import { makeModel } from "../../../src/model/makeModel.js";
import { systemInfo } from "../../../src/model/systemInfo.js";
import { llamaSpmVocab, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

describe.skipIf(skipNoModel)("model loading: progress, abort, memory, placement", () => {
  const dir = tempDir();
  // ~180 MB of F32 weights read without mmap: long enough that an abort lands mid-load.
  const big = makeModel({ vocab: llamaSpmVocab, output: join(dir, "big.gguf"), width: 512, heads: 8, layers: 4 });

  it("onLoadProgress rises monotonically from below 1 to exactly 1", async () => {
    const seen: number[] = [];
    await using m = await loadModel({
      model: (await big).path,
      useMmap: false,
      threads: 1,
      onLoadProgress: (f) => seen.push(f),
    });
    expect(m.meta.nLayer).toBe(4);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen[0]).toBeLessThan(1);
    expect(seen.at(-1)).toBe(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
  });

  it("an abort mid-load rejects with AbortError, holds nothing, and the next load works", async () => {
    const before = systemInfo().heldBytes;
    for (let round = 0; round < 3; round++) {
      const ac = new AbortController();
      const seen: number[] = [];
      const load = loadModel({
        model: (await big).path,
        useMmap: false,
        threads: 1,
        signal: ac.signal,
        onLoadProgress: (f) => {
          seen.push(f);
          ac.abort();
        },
      });
      await expect(load).rejects.toMatchObject({ name: "AbortError", code: "ABORTED" });
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.at(-1)).toBeLessThan(1);
      expect(systemInfo().heldBytes).toBe(before);
    }
    // Aborted before it starts: no native work at all.
    await expect(loadModel({ model: storiesModel, signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: "ABORTED",
    });
    await using m = await loadModel({ model: storiesModel, threads: 1 });
    expect((await m.generate("Once upon a time", { template: "raw", maxTokens: 4 }))[0].tokens).toHaveLength(4);
  });

  it("models and contexts report their memory to V8 while alive, and release it on dispose", async () => {
    const before = systemInfo().heldBytes;
    const m = await loadModel({ model: storiesModel, threads: 1 });
    const withModel = systemInfo().heldBytes;
    expect(withModel - before).toBe(m.meta.sizeBytes);
    await m.generate("Once upon a time", { template: "raw", maxTokens: 4, contextSize: 256 });
    expect(systemInfo().heldBytes).toBeGreaterThan(withModel); // + the context's KV cache
    await m.dispose();
    expect(systemInfo().heldBytes).toBe(before);
  });

  it("systemInfo lists the CPU backend and device; a CPU build offloads nothing", async () => {
    const sys = systemInfo();
    expect(sys.build.backend).toBe("cpu");
    expect(sys.backends).toContain("CPU");
    const cpu = sys.devices.find((d) => d.type === "cpu");
    expect(cpu).toMatchObject({ name: "CPU", backend: "CPU" });
    expect(cpu!.memoryTotal).toBeGreaterThan(0);
    expect(sys.offloadDevices).toEqual([]);
    await using m = await loadModel({ model: storiesModel, threads: 1 });
    expect(m.placement).toEqual({ backend: "cpu", device: "CPU", layersOffloaded: 0, layers: m.meta.nLayer + 1 });
  });
});
