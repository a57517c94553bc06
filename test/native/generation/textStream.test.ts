import { describe, expect, it } from "vitest";
import { TokenTexts } from "../../../src/model/tokenText.js";
import { loadModel } from "../../../src/model/Model.js";
import { TextStream } from "../../../src/generation/textStream.js";
import { skipNoModel, storiesModel } from "../../helpers/fixtures.js";

describe.skipIf(skipNoModel)(
  "TextStream: generated tokens → streamable text (stories260K's byte-fallback vocabulary)",
  () => {
    it("never shows half a character: UTF-8 split over byte tokens comes out whole", async () => {
      await using model = await loadModel({ model: storiesModel, threads: 1 });
      const texts = new TokenTexts(model);
      const text = "café, naïve — ☕ 日本 🐈 done"; // SentencePiece spells it with a leading space
      const tokens = model.tokenize(text).filter((t) => t !== model.meta.bos);
      // the point of the test: some characters are spelled as several byte tokens here
      expect(tokens.filter((t) => /^<0x[0-9A-F]{2}>$/.test(model.tokenPieces()[t])).length).toBeGreaterThan(4);
      const s = new TextStream(texts);
      const deltas = tokens.map((t) => s.push(t));
      for (const d of deltas) expect(d).not.toMatch(/\uFFFD/);
      expect(deltas.filter((d) => d === "").length).toBeGreaterThan(0); // a lead byte alone shows nothing
      const shown = deltas.join("");
      expect(shown).toBe(` ${text}`);
      expect(s.finish(shown)).toBe("");
    });

    it("holds back a possible stop string until it is known not to be one", async () => {
      await using model = await loadModel({ model: storiesModel, threads: 1 });
      const texts = new TokenTexts(model);
      const pieces = (t: string) => model.tokenize(t).filter((x) => x !== model.meta.bos);
      const s = new TextStream(texts, ["END"]);
      let shown = "";
      for (const t of pieces("The EN")) shown += s.push(t);
      expect(shown).toBe(" The "); // "EN" may begin "END"
      for (const t of pieces("ough said")) shown += s.push(t);
      expect(shown).toBe(" The EN ough said"); // it did not
      const cut = new TextStream(texts, ["END"]);
      let out = "";
      for (const t of pieces("a b END c")) out += cut.push(t);
      expect(out).toBe(" a b "); // nothing from the stop string on, even before the engine's cut arrives
      expect(cut.finish(" a b ")).toBe("");
    });
  },
);
