import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRules, parseRuleSpec, ruleSpecJsonSchema } from "../../../src/rules/loadRules.js";
import { tempDir } from "../../helpers/fixtures.js";

describe("rule specs", () => {
  it("hewitt2024 is the paper's eos-uniform-diversity", () => {
    const s = loadRules("hewitt2024");
    expect(s.eos).toMatchObject({ enabled: true, slope: 0.06, start: 0, end: 250, after: "reset", tokens: "eos" });
    // The code raises tokenizer.eos_token_id alone; every end-of-generation token is an opt-in variant.
    expect(loadRules("hewitt2024-eog")).toEqual({
      ...s,
      name: "hewitt2024-eog",
      description: expect.any(String),
      eos: { ...s.eos, tokens: "eog" },
    });
    expect(s.repetition).toMatchObject({ enabled: true, penalty: -1.5, scope: "after-user-tag" });
    expect(s.tokens.scores).toHaveLength(15);
    expect(s.start.enabled).toBe(false);
  });

  it("--disable-rule equals the ablation preset", () => {
    for (const r of ["eos", "repetition", "tokens"] as const) {
      const a = loadRules("hewitt2024", [r]);
      const b = loadRules(`hewitt2024-no-${r}`);
      expect({ ...a, name: "" }).toEqual({ ...b, name: "" });
      expect(a[r].enabled).toBe(false);
    }
  });

  it("a partial file gets the paper's values for what it enables and leaves the rest off", () => {
    const s = parseRuleSpec({ eos: { slope: 0.5 } });
    expect(s.eos).toMatchObject({ enabled: true, slope: 0.5, end: 250, tokens: "eos" });
    expect(s.repetition).toMatchObject({ enabled: false, penalty: -1.5 });
    expect(s.tokens.enabled).toBe(false);
  });

  it("errors name the bad field", () => {
    const dir = tempDir();
    const f = join(dir, "r.json");
    writeFileSync(f, JSON.stringify({ eos: { slope: "steep", end: 0 }, repetition: { scope: "all" }, extra: 1 }));
    const e = (() => {
      try {
        loadRules(f);
      } catch (err) {
        return err as Error & { code: string };
      }
    })();
    expect(e?.code).toBe("RULES_INVALID");
    expect(e?.message).toMatch(/eos\.slope/);
    expect(e?.message).toMatch(/repetition\.scope/);
    expect(e?.message).toMatch(/extra/);
    expect(() => loadRules("nope")).toThrow(/no rule preset or file/);
    expect(() => loadRules("hewitt2024", ["bogus" as never])).toThrow(/unknown rule/);
  });

  it("publishes a JSON schema", () => {
    const s = ruleSpecJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(s.properties)).toEqual(expect.arrayContaining(["eos", "repetition", "tokens", "start"]));
  });
});
