import { describe, expect, it } from "vitest";
import { flopPerToken, parsePerfOutput, testFileLine, trainingProducts } from "../../../src/bench/benchPretrain.js";

// The lab's base (src/lab/pretrain.ts): 4 layers, width 128, 4 heads, feed-forward 384, vocabulary 1,047.
const lab = { nLayer: 4, nEmbd: 128, nEmbdKv: 128, nFf: 384, nHead: 4, nVocab: 1047 };

describe("trainingProducts", () => {
  it("counts the lab's matrix FLOP per trained token: 3 × the forward products (issue 26: about 7 MFLOP)", () => {
    // forward per token: 16 × 2·128·128 (q k v o) + 8 × 2·128·384 (gate, up) + 4 × 2·384·128 (down)
    // + 2·128·1047 (output) + 2 × 4 layers × 2·32·256·4 (kq and kqv over the 256-token window, 4 heads)
    const forward =
      16 * 2 * 128 * 128 + 8 * 2 * 128 * 384 + 4 * 2 * 384 * 128 + 2 * 128 * 1047 + 2 * 4 * 2 * 32 * 256 * 4;
    expect(flopPerToken(trainingProducts(lab, 256), 256)).toBe(3 * forward);
  });
  it("gives every forward product its two gradients as OUT_PROD, the input's reading the gradient transposed", () => {
    const ps = trainingProducts(lab, 256);
    const up = ps.filter((p) => p.name.endsWith("ffn_gate_up"));
    expect(up.map((p) => [p.op, p.m, p.n, p.k, p.transposedSrc1, p.count])).toEqual([
      ["MUL_MAT", 384, 256, 128, false, 8],
      ["OUT_PROD", 128, 384, 256, false, 8], // weight gradient [128, 384] over the 256 tokens
      ["OUT_PROD", 128, 256, 384, true, 8], // input gradient [128, 256] over the 384 outputs
    ]);
    // q/o and k/v have the same shapes here (no grouped-query attention): one entry, counted for both
    expect(ps.filter((p) => p.op === "MUL_MAT").map((p) => p.name)).toEqual([
      "fwd_attn_q_o",
      "fwd_ffn_gate_up",
      "fwd_ffn_down",
      "fwd_output",
      "fwd_kq",
      "fwd_kqv",
    ]);
    expect(ps.find((p) => p.name === "fwd_attn_q_o")?.count).toBe(16);
  });
});

describe("testFileLine", () => {
  it("writes test-backend-ops' --test-file format: op, type, dst ne, op params, sources (type, ne, nb), name", () => {
    expect(
      testFileLine({ name: "a", op: "MUL_MAT", m: 3, n: 5, k: 2, batch: 1, transposedSrc1: false, count: 1 }),
    ).toBe("29 0 3 5 1 1 0 2 0 2 3 1 1 4 8 24 24 0 2 5 1 1 4 8 40 40 a");
    // out_prod with a transposed src1: a [5, 2] view of a [2, 5] tensor, elements 2 floats apart
    expect(
      testFileLine({ name: "b", op: "OUT_PROD", m: 3, n: 5, k: 2, batch: 1, transposedSrc1: true, count: 1 }),
    ).toBe("31 0 3 5 1 1 0 2 0 3 2 1 1 4 12 24 24 0 5 2 1 1 8 4 40 40 b");
  });
});

describe("parsePerfOutput", () => {
  it("reads runs and microseconds per run by case name", () => {
    const out =
      "Testing 2 devices\n\nBackend 1/2: CPU\n" +
      "  MUL_MAT(name=fwd_output,type=f32,ne=[1047,256,1,1],op_params=[0,...],sources=[...]):        1262 runs -   791.30 us/run -   137.25 GB/s\n" +
      "  OUT_PROD(name=grad_w_kq,type=f32,ne=[32,256,4,1]):   8192 runs -    12.5 us/run -  10 GB/s\n";
    expect([...parsePerfOutput(out)]).toEqual([
      ["fwd_output", { runs: 1262, us: 791.3 }],
      ["grad_w_kq", { runs: 8192, us: 12.5 }],
    ]);
  });
});
