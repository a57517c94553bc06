// The patched llama.cpp training path computes the right gradients and updates (native/patches).
import { describe, expect, it } from "vitest";
import { loadAddon } from "../../../src/bindings/loadAddon.js";
import type { AddonTrainer } from "../../../src/bindings/AddonTypes.js";
import { loadModel } from "../../../src/model/Model.js";
import { scoreSequences } from "../../../src/model/score.js";
import { windowLossScales } from "../../../src/training/loss.js";
import { skipNoModel, storiesModel } from "../../helpers/fixtures.js";

const N_CTX = 256;

async function openTrainer(
  o: { sgd?: boolean; eps?: number; loraPath?: string; maxGradNorm?: number } = {},
): Promise<AddonTrainer> {
  const t = new (loadAddon().AddonTrainer)();
  await t.create({
    modelPath: storiesModel,
    loraPath: o.loraPath ?? "",
    nCtx: N_CTX,
    threads: 1,
    gpuLayers: 0,
    sgd: o.sgd ?? false,
    beta1: 0.9,
    beta2: 0.999,
    eps: o.eps ?? 1e-8,
    weightDecay: 0,
    maxGradNorm: o.maxGradNorm ?? 0,
  });
  return t;
}

/** A window from real text: targets on every other stretch of 20 tokens (partial masking). */
async function makeWindow(text: string, masked: (i: number) => boolean = (i) => Math.floor(i / 20) % 2 === 1) {
  await using vocab = await loadModel({ model: storiesModel, vocabOnly: true });
  const ids = [vocab.meta.bos, ...vocab.tokenize(text)].slice(0, N_CTX);
  const tokens = new Int32Array(N_CTX).fill(vocab.meta.eos);
  tokens.set(ids);
  const labels = new Int32Array(N_CTX).fill(-1);
  let nTargets = 0;
  for (let i = 0; i + 1 < ids.length; i++) {
    if (!masked(i)) {
      labels[i] = ids[i + 1];
      nTargets++;
    }
  }
  return { ids, tokens, labels, nTargets };
}

const TEXT_A =
  "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine. One day she saw a big red ball in the park and ran to get it.";
const TEXT_B =
  "Tom had a small dog. The dog liked to run and jump. Every morning Tom and his dog went to the pond to see the ducks, and they were very happy.";

function snapshot(t: AddonTrainer): Map<string, Float32Array> {
  return new Map(t.params().map((p) => [p.name, t.getTensor(p.name)]));
}

/** The gradient of (summed NLL)/nTargets at the trainer's current weights, via one SGD step of lr 1e3. */
async function gradients(
  weights: Map<string, Float32Array>,
  w: Awaited<ReturnType<typeof makeWindow>>,
): Promise<Map<string, Float64Array>> {
  const lr = 1e3;
  const t = await openTrainer({ sgd: true });
  try {
    for (const [name, data] of weights) t.setTensor(name, data);
    t.setLr(lr);
    await t.window(w.tokens, w.labels, true, 1 / w.nTargets);
    const out = new Map<string, Float64Array>();
    for (const [name, before] of weights) {
      const after = t.getTensor(name);
      out.set(
        name,
        Float64Array.from(before, (b, i) => (b - after[i]) / lr),
      );
    }
    return out;
  } finally {
    t.dispose();
  }
}

const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0));

describe.skipIf(skipNoModel)("training gradients (stories260K)", () => {
  it("trains every F32 tensor, token_embd and attn_k/attn_v included", async () => {
    const t = await openTrainer();
    try {
      const names = t.params().map((p) => p.name);
      expect(names).toContain("token_embd.weight");
      expect(names).toContain("blk.0.attn_k.weight");
      expect(names).toContain("blk.0.attn_v.weight");
      expect(names).toContain("output_norm.weight");
    } finally {
      t.dispose();
    }
  });

  it("each tensor's gradient agrees with finite differences (directional, along the gradient)", async () => {
    const w = await makeWindow(TEXT_A);
    const t = await openTrainer();
    try {
      const w0 = snapshot(t);
      const g = await gradients(w0, w);
      const loss = async () => (await t.window(w.tokens, w.labels, false, 1)) / w.nTargets;
      const failures: string[] = [];
      for (const [name, base] of w0) {
        const gi = g.get(name)!;
        const gn = norm(gi);
        expect(gn, `${name} has no gradient`).toBeGreaterThan(0);
        // Step h (0.1% of the tensor's norm) along the unit gradient direction: dL/dh = |g|.
        const h = 1e-3 * Math.max(1e-3, norm(base));
        const shifted = (sign: number) => Float32Array.from(base, (b, i) => b + (sign * h * gi[i]) / gn);
        t.setTensor(name, shifted(+1));
        const lp = await loss();
        t.setTensor(name, shifted(-1));
        const lm = await loss();
        t.setTensor(name, base);
        const fd = (lp - lm) / (2 * h);
        if (Math.abs(fd - gn) / gn > 0.05) failures.push(`${name}: finite difference ${fd}, gradient ${gn}`);
      }
      expect(failures).toEqual([]);
    } finally {
      t.dispose();
    }
  });

  it("two SGD steps equal two independent single steps (gradient accumulators are reset)", async () => {
    const a = await makeWindow(TEXT_A);
    const b = await makeWindow(TEXT_B);
    const lr = 0.05;
    const t = await openTrainer({ sgd: true });
    let w1: Map<string, Float32Array>;
    let w2: Map<string, Float32Array>;
    try {
      t.setLr(lr);
      await t.window(a.tokens, a.labels, true, 1 / a.nTargets);
      w1 = snapshot(t);
      await t.window(b.tokens, b.labels, true, 1 / b.nTargets);
      w2 = snapshot(t);
      expect(t.stepsDone()).toBe(2);
    } finally {
      t.dispose();
    }
    const g1 = await gradients(w1, b);
    for (const [name, x1] of w1) {
      const expected = Float32Array.from(x1, (x, i) => x - lr * g1.get(name)![i]);
      const got = w2.get(name)!;
      const err = norm(Float64Array.from(got, (x, i) => x - expected[i]));
      const step = norm(Float64Array.from(got, (x, i) => x - x1[i]));
      expect(err / step, name).toBeLessThan(1e-3);
    }
  });

  it("gradient accumulation over three windows is the scaled sum of their gradients (one SGD step)", async () => {
    const ws = [await makeWindow(TEXT_A), await makeWindow(TEXT_B), await makeWindow(`${TEXT_B} ${TEXT_A}`)];
    expect(new Set(ws.map((w) => w.nTargets)).size).toBe(3);
    const lr = 0.05;
    // The paper's reduction: each window's mean NLL, averaged over the step's windows.
    const scales = windowLossScales(
      ws.map((w) => w.nTargets),
      "example",
    );
    const t = await openTrainer({ sgd: true });
    let w0: Map<string, Float32Array>;
    let w1: Map<string, Float32Array>;
    try {
      w0 = snapshot(t);
      t.setPeriod(3);
      t.setLr(lr);
      for (const [k, w] of ws.entries()) {
        await t.window(w.tokens, w.labels, true, scales[k]);
        expect(t.stepsDone()).toBe(k === 2 ? 1 : 0);
      }
      w1 = snapshot(t);
    } finally {
      t.dispose();
    }
    // gradients() is d(mean NLL)/dθ of one window; the step's loss is Σ scale·NLL = Σ (scale·n)·mean.
    const gs = await Promise.all(ws.map((w) => gradients(w0, w)));
    for (const [name, x0] of w0) {
      const expected = Float64Array.from(
        x0,
        (x, i) => x - lr * gs.reduce((s, g, k) => s + scales[k] * ws[k].nTargets * g.get(name)![i], 0),
      );
      const got = w1.get(name)!;
      const err = norm(Float64Array.from(got, (x, i) => x - expected[i]));
      const step = norm(Float64Array.from(got, (x, i) => x - x0[i]));
      expect(err / step, name).toBeLessThan(1e-3);
    }
  });

  it("with a small max norm, one SGD step is the hand-computed clipped update, and the norm is reported", async () => {
    const a = await makeWindow(TEXT_A);
    const lr = 0.05;
    const probe = await openTrainer({ sgd: true });
    const w0 = snapshot(probe);
    probe.dispose();
    const g = await gradients(w0, a);
    const gNorm = Math.sqrt([...g.values()].reduce((s, gi) => s + gi.reduce((q, x) => q + x * x, 0), 0));
    const maxNorm = gNorm / 4;
    const t = await openTrainer({ sgd: true, maxGradNorm: maxNorm });
    let w1: Map<string, Float32Array>;
    try {
      expect(t.gradNorm()).toBe(-1);
      t.setLr(lr);
      await t.window(a.tokens, a.labels, true, 1 / a.nTargets);
      expect(Math.abs(t.gradNorm() - gNorm) / gNorm).toBeLessThan(1e-3);
      w1 = snapshot(t);
    } finally {
      t.dispose();
    }
    const coef = maxNorm / (gNorm + 1e-6); // torch.nn.utils.clip_grad_norm_
    for (const [name, x0] of w0) {
      const expected = Float64Array.from(x0, (x, i) => x - lr * coef * g.get(name)![i]);
      const got = w1.get(name)!;
      const err = norm(Float64Array.from(got, (x, i) => x - expected[i]));
      const step = norm(Float64Array.from(got, (x, i) => x - x0[i]));
      expect(err / step, name).toBeLessThan(1e-3);
    }
  });

  it("two AdamW steps equal the hand-computed update", async () => {
    const a = await makeWindow(TEXT_A);
    const b = await makeWindow(TEXT_B);
    const lr = 1e-3;
    const [beta1, beta2, eps] = [0.9, 0.999, 1e-3];
    const t = await openTrainer({ eps });
    let w0: Map<string, Float32Array>;
    let w1: Map<string, Float32Array>;
    let w2: Map<string, Float32Array>;
    try {
      w0 = snapshot(t);
      t.setLr(lr);
      await t.window(a.tokens, a.labels, true, 1 / a.nTargets);
      w1 = snapshot(t);
      await t.window(b.tokens, b.labels, true, 1 / b.nTargets);
      w2 = snapshot(t);
    } finally {
      t.dispose();
    }
    const g0 = await gradients(w0, a);
    const g1 = await gradients(w1, b);
    for (const [name, x0] of w0) {
      const x = Float64Array.from(x0);
      const m = new Float64Array(x.length);
      const v = new Float64Array(x.length);
      [g0, g1].forEach((g, k) => {
        const gi = g.get(name)!;
        const it = k + 1;
        for (let i = 0; i < x.length; i++) {
          m[i] = beta1 * m[i] + (1 - beta1) * gi[i];
          v[i] = beta2 * v[i] + (1 - beta2) * gi[i] * gi[i];
          const mh = m[i] / (1 - beta1 ** it);
          const vh = Math.sqrt(v[i] / (1 - beta2 ** it)) + eps;
          x[i] -= (lr * mh) / vh;
        }
      });
      const got = w2.get(name)!;
      const err = norm(Float64Array.from(got, (y, i) => y - x[i]));
      const step = norm(Float64Array.from(got, (y, i) => y - x0[i]));
      expect(err / step, name).toBeLessThan(1e-3);
    }
  });

  it("a step on a fully masked window leaves every weight bit-identical", async () => {
    const w = await makeWindow(TEXT_A, () => true);
    expect(w.nTargets).toBe(0);
    const t = await openTrainer();
    try {
      const before = snapshot(t);
      t.setLr(1e-2);
      for (let i = 0; i < 3; i++) expect(await t.window(w.tokens, w.labels, true, 1)).toBe(0);
      for (const [name, b] of before)
        expect(Buffer.from(t.getTensor(name).buffer).equals(Buffer.from(b.buffer)), name).toBe(true);
    } finally {
      t.dispose();
    }
  });

  it("the reported loss is the inference path's mean NLL of exactly the unmasked tokens", async () => {
    const w = await makeWindow(TEXT_A + " " + TEXT_B);
    const t = await openTrainer();
    let trainerLoss: number;
    try {
      t.setLr(1e-9);
      trainerLoss = (await t.window(w.tokens, w.labels, true, 1 / w.nTargets)) / w.nTargets;
    } finally {
      t.dispose();
    }
    await using m = await loadModel({ model: storiesModel, threads: 1, kvCache: "f32" });
    const [scored] = await scoreSequences(m, [{ tokens: w.ids, from: 1 }]);
    let nll = 0;
    let n = 0;
    for (let i = 0; i + 1 < w.ids.length; i++) {
      if (w.labels[i] >= 0) {
        nll -= scored.tokenLogprobs[i];
        n++;
      }
    }
    expect(n).toBe(w.nTargets);
    expect(Math.abs(trainerLoss - nll / n)).toBeLessThan(1e-4);
  });
});
