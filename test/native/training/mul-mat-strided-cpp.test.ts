// The CPU mul_mat with a permuted F32 src1 (training's KQ product; native/patches/
// 0005-mul-mat-strided-src1.diff), checked by native/tests/training/test-mul-mat-strided.cpp: the same bits as
// the product on a contiguous copy (tinyBLAS), and a double reference.
import { describeCppSuite } from "../../helpers/cppSuite.js";

describeCppSuite({
  name: "mul_mat, strided src1",
  target: "test-mul-mat-strided",
  source: "native/tests/training/test-mul-mat-strided.cpp",
  checks: "gives the contiguous product's bits and matches the double reference, with 1 and 2 threads",
  count: 8,
});
