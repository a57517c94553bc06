// The GPU path without a GPU: the Vulkan build on Mesa's lavapipe (a CPU-type Vulkan device), every layer
// offloaded, against the CPU build. One addon variant per process, so each side runs probe.mjs as a
// child. llama.cpp skips CPU-type Vulkan devices unless GGML_VK_VISIBLE_DEVICES selects them: set here.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { makeLora } from "../../../src/model/makeLora.js";
import { makeModel } from "../../../src/model/makeModel.js";
import { llamaSpmVocab, repoRoot, skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

const vulkanAddon = join(repoRoot, "build-vulkan", "Release", "iit.node");
const dist = join(repoRoot, "dist", "index.js");
const skip =
  skipNoModel ||
  (!existsSync(vulkanAddon)
    ? "the vulkan variant is not built: run `IIT_GPU=vulkan npm run build:native` (needs libvulkan-dev, glslc; see docs/gpu.md)"
    : false) ||
  (!existsSync(dist) ? "dist/ is not built: run `npm run build:ts`" : false);

/** Log-probability tolerance of lavapipe vs the CPU on the same tokens (docs/gpu.md says why). */
const LOGPROB_TOL = 2e-2;
/**
 * With a LoRA adapter applied on the device the differences are larger and grow with the adapter's size
 * (max 4.9e-2 with B std 0.1, 1.1e-1 with 0.5): measured, not yet explained (docs/gpu.md).
 */
const LORA_LOGPROB_TOL = 1e-1;
/** Training: per-step loss, relative. */
const LOSS_RTOL = 1e-3;

type Top = { token: number; logprob: number };
interface Probe {
  placement: { backend: string; device: string; layersOffloaded: number; layers: number };
  system: { backends: string[]; offloadDevices: string[] };
  generated: { prompt: number[]; tokens: number[] }[];
  scored: { tokenLogprobs: number[]; top: Top[][] }[];
  embeddings: number[][] | null;
  train: { ok: boolean; losses?: number[]; code?: string; name?: string; message?: string } | null;
}

const dir = skip ? "" : tempDir("iit-vulkan-");
let n = 0;
function probe(backend: "cpu" | "vulkan", job: object, env: NodeJS.ProcessEnv = {}): { out: Probe; stderr: string } {
  const jobPath = join(dir, `job-${n++}.json`);
  writeFileSync(jobPath, JSON.stringify(job));
  const r = spawnSync(process.execPath, [join(import.meta.dirname, "probe.mjs"), jobPath], {
    encoding: "utf8",
    timeout: 600_000,
    maxBuffer: 512 * 1024 * 1024,
    env: {
      ...process.env,
      IIT_GPU: backend,
      GGML_VK_VISIBLE_DEVICES: process.env.GGML_VK_VISIBLE_DEVICES ?? "0",
      ...env,
    },
  });
  if (r.status !== 0)
    throw new Error(`the ${backend} probe exited with ${r.status ?? r.signal}: ${r.stderr.slice(-3000)}`);
  return { out: JSON.parse(r.stdout) as Probe, stderr: r.stderr };
}

/** Runs a job on the CPU, then on Vulkan scoring the CPU's sequences; returns both and the comparison. */
function compare(job: Record<string, unknown>) {
  const cpu = probe("cpu", job).out;
  const score = cpu.generated.map((g) => ({ tokens: [...g.prompt, ...g.tokens], from: g.prompt.length }));
  const vk = probe("vulkan", { ...job, score }).out;
  let maxDiff = 0;
  for (const [i, s] of cpu.scored.entries())
    for (const [j, lp] of s.tokenLogprobs.entries())
      maxDiff = Math.max(maxDiff, Math.abs(lp - vk.scored[i].tokenLogprobs[j]));
  const divergences = cpu.generated.map((g, i) => {
    const other = vk.generated[i].tokens;
    const at = g.tokens.findIndex((t, j) => t !== other[j]);
    if (at < 0 && other.length === g.tokens.length) return null;
    const pos = at < 0 ? g.tokens.length : at;
    const top = cpu.scored[i].top[pos];
    return { prompt: i, at: pos, cpu: g.tokens[pos], vulkan: other[pos], cpuTop: top };
  });
  return { cpu, vk, maxDiff, divergences };
}

/** Greedy outputs equal, or the first divergence is a near-tie on the CPU that the tolerance explains. */
function expectSameOrExplained(c: ReturnType<typeof compare>, label: string, tol = LOGPROB_TOL) {
  expect(c.vk.placement.layersOffloaded, `${label}: every layer on the Vulkan device`).toBe(c.vk.placement.layers);
  expect(c.maxDiff, `${label}: max |Δ logprob| on the CPU's sequences`).toBeLessThanOrEqual(tol);
  for (const d of c.divergences) {
    if (!d) continue;
    // The token Vulkan chose is the CPU's runner-up, and the CPU's top two are within the tolerance.
    expect(
      d.cpuTop.map((t) => t.token),
      `${label}: divergence ${JSON.stringify(d)}`,
    ).toContain(d.vulkan);
    expect(d.cpuTop[0].logprob - d.cpuTop[1].logprob, `${label}: divergence ${JSON.stringify(d)}`).toBeLessThanOrEqual(
      2 * tol,
    );
  }
  console.log(
    `${label}: max |Δ logprob| ${c.maxDiff.toExponential(2)}; ` +
      `${c.divergences.filter(Boolean).length}/${c.divergences.length} greedy outputs diverge ${JSON.stringify(c.divergences.filter(Boolean))}`,
  );
}

// Each case runs two child processes synchronously (vitest's own timer cannot fire meanwhile): the limit is per case.
const LONG = 900_000;

describe.skipIf(skip)("Vulkan on lavapipe, every layer offloaded, equals the CPU build", () => {
  const prompts = ["Once upon a time", "The little dog", "Lily wanted to"];
  let big = "";
  let lora = "";
  beforeAll(async () => {
    big = (
      await makeModel({
        vocab: llamaSpmVocab,
        output: join(dir, "spm32k.gguf"),
        width: 128,
        heads: 4,
        layers: 2,
        seed: 7,
      })
    ).path;
    lora = (await makeLora({ base: storiesModel, output: join(dir, "live.gguf"), rank: 4, bStd: 0.1, seed: 3 })).path;
  }, LONG);

  it(
    "reports the Vulkan device and offloads every layer",
    () => {
      const { out } = probe("vulkan", { model: storiesModel, prompts: ["Hi"], template: "raw", maxTokens: 1 });
      expect(out.system.backends).toContain("Vulkan");
      expect(
        out.system.offloadDevices,
        "no Vulkan device: is mesa-vulkan-drivers installed? (vulkaninfo --summary)",
      ).toEqual(["Vulkan0"]);
      expect(out.placement).toEqual({ backend: "vulkan", device: "Vulkan0", layersOffloaded: 6, layers: 6 });
    },
    LONG,
  );

  it(
    "stories260K: greedy output and scores",
    () => {
      expectSameOrExplained(compare({ model: storiesModel, prompts, template: "raw", maxTokens: 48 }), "stories260K");
    },
    LONG,
  );

  it(
    "a 32k-vocabulary made model: greedy output and scores",
    () => {
      expectSameOrExplained(
        compare({ model: big, prompts: ["Hello world", "The quick brown fox"], template: "raw", maxTokens: 24 }),
        "spm32k",
      );
    },
    LONG,
  );

  it(
    "a LoRA applied at load time to offloaded layers",
    () => {
      const c = compare({
        model: storiesModel,
        loras: [{ path: lora, scale: 1 }],
        prompts,
        template: "raw",
        maxTokens: 48,
      });
      expectSameOrExplained(c, "stories260K + LoRA", LORA_LOGPROB_TOL);
    },
    LONG,
  );

  it(
    "the rule sampler (hewitt2024) in generation and in scoring",
    () => {
      const c = compare({
        model: storiesModel,
        rules: "hewitt2024",
        prompts: ["Tell me a story about a cat.", "What is a dog?"],
        template: "tulu",
        maxTokens: 48,
      });
      expectSameOrExplained(c, "stories260K + rules hewitt2024");
    },
    LONG,
  );

  it(
    "embeddings",
    () => {
      const texts = ["Once upon a time there was a cat.", "The dog ran home to his mom."];
      const job = { model: storiesModel, prompts: ["Hi"], template: "raw", maxTokens: 1, embed: texts };
      const cpu = probe("cpu", job).out.embeddings!;
      const vk = probe("vulkan", job).out.embeddings!;
      let maxDiff = 0;
      for (const [i, v] of cpu.entries())
        for (const [j, x] of v.entries()) maxDiff = Math.max(maxDiff, Math.abs(x - vk[i][j]));
      console.log(`embeddings: max |Δ| ${maxDiff.toExponential(2)} (unit vectors of ${cpu[0].length})`);
      expect(maxDiff).toBeLessThanOrEqual(1e-3);
    },
    LONG,
  );

  it(
    "a few LoRA training steps (on the CPU in the vulkan build, see train.ts): losses equal the CPU build's, no crash",
    () => {
      const data = join(dir, "train.jsonl");
      const rows = ["a cat", "a dog", "a bird", "a fish"].map((x) =>
        JSON.stringify({
          id: x,
          messages: [
            { role: "user", content: `Tell me about ${x}.` },
            { role: "assistant", content: `Once upon a time there was ${x}.` },
          ],
        }),
      );
      writeFileSync(data, rows.join("\n") + "\n");
      const trainJob = (name: string) => ({
        model: storiesModel,
        prompts: ["Hi"],
        template: "raw",
        maxTokens: 1,
        train: {
          model: storiesModel,
          data,
          mode: "instruction",
          output: join(dir, name),
          epochs: 1,
          lr: 1e-3,
          nCtx: 256,
          loraRank: 2,
          seed: 1,
          maxExamples: 2,
        },
      });
      const cpu = probe("cpu", trainJob("cpu.gguf")).out.train!;
      const vk = probe("vulkan", trainJob("vk.gguf")).out.train!;
      expect(cpu.ok, JSON.stringify(cpu)).toBe(true);
      if (!vk.ok) {
        // The acceptable failure: a typed error naming what the backend lacks (the child did not crash).
        expect(vk.code, JSON.stringify(vk)).toMatch(/^[A-Z_]+$/);
        console.log(`training on Vulkan: typed error ${vk.code}: ${vk.message}`);
        return;
      }
      expect(vk.losses).toHaveLength(cpu.losses!.length);
      const rel = cpu.losses!.map((l, i) => Math.abs(l - vk.losses![i]) / Math.abs(l));
      console.log(
        `training: cpu losses ${JSON.stringify(cpu.losses)}; vulkan ${JSON.stringify(vk.losses)}; max rel Δ ${Math.max(...rel).toExponential(2)}`,
      );
      for (const r of rel) expect(r).toBeLessThanOrEqual(LOSS_RTOL);
    },
    LONG,
  );

  it(
    "says which ops fall back to the CPU (GGML_SCHED_DEBUG); no matrix multiplication does",
    () => {
      const { stderr } = probe(
        "vulkan",
        { model: storiesModel, prompts: ["Once upon a time"], template: "raw", maxTokens: 2 },
        {
          GGML_SCHED_DEBUG: "2",
          IIT_LOG: "debug",
        },
      );
      const onCpu = new Map<string, Set<string>>();
      for (const m of stderr.matchAll(/^node #\s*\d+ \(\s*([A-Z_0-9]+)\):\s+(\S+) \(\s*\S+\) \[\s*(\S+)/gm)) {
        if (m[3] !== "CPU") continue;
        if (!onCpu.has(m[1])) onCpu.set(m[1], new Set());
        onCpu.get(m[1])!.add(m[2]);
      }
      console.log(
        `ops on the CPU during generation and scoring: ${JSON.stringify(Object.fromEntries([...onCpu].map(([k, v]) => [k, [...v].slice(0, 5)])))}`,
      );
      expect(stderr).toMatch(/^node #/m);
      expect(onCpu.has("MUL_MAT")).toBe(false);
    },
    LONG,
  );
});
