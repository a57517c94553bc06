// Continuous batching: prompts appended to a running generation take the next free sequence, give the
// text they give alone, and come back through onResult; once the generation has ended, append says so.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../../src/errors.js";
import type { GenerationHandle, GenerationResult } from "../../../src/model/generationTypes.js";
import { loadModel } from "../../../src/model/Model.js";
import { repoRoot, skipNoModel } from "../../helpers/fixtures.js";

const labBase = join(repoRoot, "models", "lab-base.gguf");
const o = { template: "raw", maxTokens: 24, ignoreEos: true, parallel: 4, contextSize: 256 } as const;

describe.skipIf(skipNoModel)("continuous batching (lab-base)", () => {
  it("a prompt appended after the first token joins the running generation and gives its text alone", async () => {
    await using m = await loadModel({ model: labBase, threads: 1 });
    const [aloneB] = await m.generate("Sisa is a", o);
    const [aloneA] = await m.generate("Zene eats", o);
    let handle: GenerationHandle | undefined;
    let joined: number[] | null = null;
    const results = new Map<number, GenerationResult>();
    const tokensOfA: number[] = [];
    const [a] = await m.generate("Zene eats", {
      ...o,
      onStart: (h) => {
        handle = h;
      },
      onToken: (i, t) => {
        if (i === 0) tokensOfA.push(t);
        if (i === 0 && tokensOfA.length === 2) joined = handle!.append(["Sisa is a"]);
      },
      onResult: (i, r) => results.set(i, r),
    });
    expect(joined).toEqual([1]);
    expect(a.output).toBe(aloneA.output);
    // it finished inside the same generation, 24 tokens long, with the text it has alone
    expect(results.get(1)?.output).toBe(aloneB.output);
    expect(results.get(1)?.tokens.length).toBe(24);
    expect(results.get(1)?.instruction).toBe("Sisa is a");
    // the generation is over: nothing more joins it
    expect(handle!.append(["Tom"])).toBeNull();
  });

  it("an appended prompt that does not fit is a typed error and adds nothing", async () => {
    await using m = await loadModel({ model: labBase, threads: 1 });
    let error: unknown;
    let after: number[] | null = null;
    await m.generate("Zene eats", {
      ...o,
      onStart: (h) => {
        try {
          h.append(["Zene ".repeat(400)]);
        } catch (e) {
          error = e;
        }
        after = h.append(["Sisa is a"]);
      },
    });
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).code).toBe("PROMPT_TOO_LONG");
    expect(after).toEqual([1]); // the index the failed append did not take
  });

  it("an appended prompt whose signal fires ends as aborted, and the rest go on", async () => {
    await using m = await loadModel({ model: labBase, threads: 1 });
    const stop = new AbortController();
    const results = new Map<number, GenerationResult>();
    let handle: GenerationHandle | undefined;
    let n = 0;
    const [a] = await m.generate("Zene eats", {
      ...o,
      maxTokens: 64,
      onStart: (h) => {
        handle = h;
        h.append(["Sisa is a"], [stop.signal]);
      },
      onToken: (i) => {
        if (i === 1 && ++n === 3) stop.abort();
      },
      onResult: (i, r) => results.set(i, r),
    });
    expect(handle).toBeDefined();
    expect(a.tokens.length).toBe(64);
    expect(results.get(1)?.stopReason).toBe("aborted");
    expect(results.get(1)!.tokens.length).toBeLessThan(64);
  });
});
