import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseCpuInfo, parseGgmlFeatures } from "../../../src/bench/cpuInfo.js";

const fixture = (name: string) =>
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../../fixtures/cpuinfo", name), "utf8");

// An AVX2 laptop without AVX-512, as its /proc/cpuinfo starts (shortened): the second processor's
// flags differ on purpose, to show that only the first is read.
const avx2Laptop =
  "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Core(TM) i7-8565U CPU @ 1.80GHz\n" +
  "flags\t\t: fpu sse sse2 pni ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2\n\n" +
  "processor\t: 1\nmodel name\t: other\nflags\t\t: avx512f\n";

describe("parseCpuInfo", () => {
  it("reads the model and the AVX-512 flags ggml can use on this project's EPYC (a real /proc/cpuinfo)", () => {
    expect(parseCpuInfo(fixture("amd-epyc-avx512.txt"))).toEqual({
      model: "AMD EPYC",
      isa: ["avx", "avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16"],
    });
  });
  it("reads the first processor only, and lists no AVX-512 on an AVX2 CPU", () => {
    expect(parseCpuInfo(avx2Laptop)).toEqual({
      model: "Intel(R) Core(TM) i7-8565U CPU @ 1.80GHz",
      isa: ["avx", "avx2", "fma", "f16c"],
    });
  });
  it("gives an empty model and no flags for a text that is not /proc/cpuinfo", () => {
    expect(parseCpuInfo("Processor: ARMv7\nFeatures: neon\n")).toEqual({ model: "", isa: [] });
  });
});

describe("parseGgmlFeatures", () => {
  it("keeps the features llama_print_system_info reports on, in its order", () => {
    const info =
      "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | AVX512 = 1 | AVX512_VBMI = 1 | " +
      "AVX512_VNNI = 1 | AVX512_BF16 = 1 | AMX_INT8 = 0 | LLAMAFILE = 1 | REPACK = 1 | ";
    expect(parseGgmlFeatures(info)).toEqual([
      "SSE3",
      "SSSE3",
      "AVX",
      "AVX2",
      "F16C",
      "FMA",
      "BMI2",
      "AVX512",
      "AVX512_VBMI",
      "AVX512_VNNI",
      "AVX512_BF16",
      "LLAMAFILE",
      "REPACK",
    ]);
  });
  it("keeps a non-boolean value with its name", () => {
    expect(parseGgmlFeatures("CPU : ARM_FMA = 1 | SVE_CNT = 16 | ")).toEqual(["ARM_FMA", "SVE_CNT=16"]);
  });
});
