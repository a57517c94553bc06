import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { SamplerConfigError } from "../errors.js";
import { PRESETS } from "./presets.js";
import { RULE_NAMES, ruleSpecSchema, type RuleName, type RuleSpec } from "./spec.js";
import { stripBom } from "../util/bom.js";

/** Validates a spec; the error names every bad field as a path, e.g. `eos.slope`. */
export function parseRuleSpec(value: unknown, source = "rule spec"): RuleSpec {
  const r = ruleSpecSchema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  throw new SamplerConfigError("RULES_INVALID", `${source} is invalid: ${issues.join("; ")}`, {
    suggestion: "see `iit rules schema` for the format, or `iit rules show --rules hewitt2024` for an example",
  });
}

/**
 * `hewitt2024` (or another preset name) or the path of a JSON rule file; `disable` removes rules
 * (the paper's ablations: `--disable-rule eos`).
 */
export function loadRules(presetOrFile: string, disable: RuleName[] = []): RuleSpec {
  let spec: RuleSpec;
  if (presetOrFile in PRESETS) {
    spec = parseRuleSpec(PRESETS[presetOrFile], `preset ${presetOrFile}`);
  } else if (existsSync(presetOrFile)) {
    let json: unknown;
    try {
      json = JSON.parse(stripBom(readFileSync(presetOrFile, "utf8")));
    } catch (e) {
      throw new SamplerConfigError("RULES_INVALID", `${presetOrFile}: not valid JSON (${(e as Error).message})`);
    }
    spec = parseRuleSpec(json, presetOrFile);
  } else {
    throw new SamplerConfigError("RULES_NOT_FOUND", `no rule preset or file "${presetOrFile}"`, {
      suggestion: `use one of ${Object.keys(PRESETS).join(", ")} or a JSON file path`,
    });
  }
  return disableRules(spec, disable);
}

export function disableRules(spec: RuleSpec, disable: RuleName[]): RuleSpec {
  const out = structuredClone(spec);
  for (const name of disable) {
    if (!RULE_NAMES.includes(name)) {
      throw new SamplerConfigError("RULES_INVALID", `--disable-rule ${name}: unknown rule`, {
        suggestion: `one of ${RULE_NAMES.join(", ")}`,
      });
    }
    out[name].enabled = false;
  }
  if (disable.length) out.name = `${spec.name}${disable.map((d) => `-no-${d}`).join("")}`;
  return out;
}

/** The published JSON Schema of rule files. */
export function ruleSpecJsonSchema(): unknown {
  return z.toJSONSchema(ruleSpecSchema, { io: "input" });
}
