import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../src/model/Model.js";
import { skipNoModel, storiesModel, tempDir } from "../../helpers/fixtures.js";

describe.skipIf(skipNoModel)("bad model files give typed errors, never an abort", () => {
  const dir = tempDir();
  let cached: Buffer | undefined;
  const model = () => (cached ??= readFileSync(storiesModel));

  it.each([
    ["missing", () => join(dir, "nope.gguf"), "NOT_FOUND"],
    ["not GGUF", () => (writeFileSync(join(dir, "a.gguf"), "hello, I am text\n"), join(dir, "a.gguf")), "NOT_GGUF"],
    ["empty", () => (writeFileSync(join(dir, "e.gguf"), ""), join(dir, "e.gguf")), "NOT_GGUF"],
    [
      "truncated",
      () => (writeFileSync(join(dir, "t.gguf"), model().subarray(0, model().length >> 1)), join(dir, "t.gguf")),
      "GGUF_TRUNCATED",
    ],
    [
      "header cut",
      () => (writeFileSync(join(dir, "h.gguf"), model().subarray(0, 100)), join(dir, "h.gguf")),
      "GGUF_CORRUPT",
    ],
    [
      "corrupt header",
      () => {
        const b = Buffer.from(model());
        b.writeBigUInt64LE(0xffffffffffffn, 16); // absurd key/value count
        writeFileSync(join(dir, "c.gguf"), b);
        return join(dir, "c.gguf");
      },
      "GGUF_CORRUPT",
    ],
  ])("%s", async (_name, make, code) => {
    const path = make();
    const err = await loadModel({ model: path, threads: 1 }).catch((e) => e);
    expect(err).toMatchObject({ name: "ModelLoadError", code });
    expect(err.message).toContain(path);
  });

  it("the process is still healthy afterwards", async () => {
    await using m = await loadModel({ model: storiesModel, threads: 1 });
    expect(m.meta.nVocab).toBe(512);
  });

  it("vocab-only loading gives metadata and tokens but refuses to generate", async () => {
    await using m = await loadModel({ model: storiesModel, vocabOnly: true });
    expect(m.meta).toMatchObject({ architecture: "llama", nVocab: 512, bos: 1, eos: 2, eogIds: [2] });
    expect(m.detokenize(m.tokenize("Once upon a time"))).toBe("Once upon a time");
    expect(m.tokenPieces()[403]).toBe("▁Once");
    await expect(m.generate("x")).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });

  it("use after dispose is a DisposedError; dispose is idempotent", async () => {
    const m = await loadModel({ model: storiesModel, threads: 1 });
    await m.dispose();
    await m.dispose();
    expect(() => m.tokenize("x")).toThrow(expect.objectContaining({ code: "DISPOSED" }));
  });

  it("more threads than cores is refused", async () => {
    await expect(loadModel({ model: storiesModel, threads: 1000 })).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });
});
