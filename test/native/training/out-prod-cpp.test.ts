// The CPU out_prod kernel that computes every mul_mat gradient in training (native/patches/
// 0002-out-prod-tiled.diff), checked by native/tests/training/test-out-prod.cpp against a double reference on
// the shapes training produces.
import { describeCppSuite } from "../../helpers/cppSuite.js";

describeCppSuite({
  name: "out_prod",
  target: "test-out-prod",
  source: "native/tests/training/test-out-prod.cpp",
  checks: "matches the double-precision reference on every shape, with 1 and 2 threads",
  count: 22,
});
