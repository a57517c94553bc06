// Builds and runs the C++ tests of the rule adapter (native/tests/sampling/test-rules-sampler.cpp): synthetic
// logits for every rule, plus token resolution on llama.cpp's Llama-2 (SPM) and Llama-3 (BPE) vocab GGUFs.
import { expect } from "vitest";
import { vocabDir } from "../../helpers/fixtures.js";
import { describeCppSuite } from "../../helpers/cppSuite.js";

describeCppSuite({
  name: "rules sampler",
  target: "test-rules-sampler",
  source: "native/tests/sampling/test-rules-sampler.cpp",
  checks: "passes every check, including the SPM and BPE vocabularies",
  args: [vocabDir],
  more: (output) => {
    // the vocab files ship with the llama.cpp source: they must have been checked, not skipped
    expect(output, output).toContain("spm: 29966 529 29989 306 29902 1334 5618 881 334 448 1678 396 444 13 29991");
    expect(output, output).toMatch(/^bpe: /m);
  },
});
