// One prompt of a batch dropped mid-generation (a server client that went away): it ends at its next
// token and its slot goes to the next prompt; the others are untouched.
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../src/model/Model.js";
import { skipNoModel, storiesModel } from "../../helpers/fixtures.js";

describe.skipIf(skipNoModel)("generate: promptSignals stop one prompt of a batch", () => {
  it("the stopped prompt ends early, its slot serves the next prompt, the others match generating alone", async () => {
    await using model = await loadModel({ model: storiesModel, threads: 1 });
    const prompts = ["Once upon a time", "Lily", "Tom had a dog", "The sun"];
    const o = { template: "raw" as const, maxTokens: 300, contextSize: 512 };
    const alone = [];
    for (const p of prompts) alone.push((await model.generate(p, o))[0]);

    const stop = new AbortController();
    const before = new AbortController();
    before.abort(); // dropped while still waiting: never started
    let seen = 0;
    const rs = await model.generate(prompts, {
      ...o,
      parallel: 2, // prompts 2 and 3 wait for a free slot
      promptSignals: [stop.signal, undefined, undefined, before.signal],
      onToken: (i) => {
        if (i === 0 && ++seen === 10) stop.abort();
      },
    });
    expect(rs[0].stopReason).toBe("aborted");
    // token events reach JS a little after they are made; the native loop stops at its next step after the flag
    expect(rs[0].tokens.length).toBeGreaterThanOrEqual(10);
    expect(rs[0].tokens.length).toBeLessThan(100);
    expect(alone[0].output.startsWith(rs[0].output)).toBe(true);
    expect(rs[3]).toMatchObject({ stopReason: "aborted", tokens: [] });
    for (const i of [1, 2]) {
      expect(rs[i].stopReason).toBe("max_tokens");
      expect(rs[i].output).toBe(alone[i].output);
    }
  });
});
