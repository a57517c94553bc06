import { Command, Option } from "commander";
import { loadModel } from "../../model/Model.js";
import { loadRules, ruleSpecJsonSchema } from "../../rules/loadRules.js";
import { RULE_NAMES, type RuleName } from "../../rules/spec.js";
import { collect, printJson } from "../util.js";
import { fitCommand } from "./rulesFit.js";

const show = new Command("show")
  .description("resolve a rule spec against a model's vocabulary (vocab-only GGUFs work) and print the ids and scores")
  .requiredOption("-m, --model <gguf>", "model or vocab-only GGUF")
  .option("--rules <preset|file>", "preset name or JSON rule file", "hewitt2024")
  .addOption(
    new Option("--disable-rule <rule>", "switch one rule off (repeatable)")
      .choices(RULE_NAMES)
      .argParser(collect((v) => v as RuleName)),
  )
  .option("--json", "print one JSON object on stdout")
  .action(async (opts: { model: string; rules: string; disableRule?: RuleName[]; json?: boolean }) => {
    const spec = loadRules(opts.rules, opts.disableRule ?? []);
    await using model = await loadModel({ model: opts.model, vocabOnly: true });
    const r = model.rulesFor(spec);
    const out = {
      name: spec.name,
      tokens: r.tokens,
      unresolved: r.unresolved,
      eos: { ...spec.eos, ids: r.eosIds },
      repetition: { ...spec.repetition, user_tag_ids: r.userTagIds },
      start: spec.start,
    };
    if (opts.json) return printJson(out);
    process.stdout.write(`${spec.name} on ${model.path}\n`);
    for (const t of r.tokens)
      process.stdout.write(
        `  ${String(t.id).padStart(7)}  ${JSON.stringify(t.text).padEnd(10)} ${t.score > 0 ? "+" : ""}${t.score}\n`,
      );
    if (r.unresolved.length)
      process.stdout.write(
        `  not one token here (not applied): ${r.unresolved.map((t) => JSON.stringify(t)).join(", ")}\n`,
      );
    const e = spec.eos;
    process.stdout.write(
      `  eos ${e.enabled ? `on: +${e.slope}×n for ${e.start} < n < ${e.end}, then ${e.after}; ids ${r.eosIds.join(",")}` : "off"}\n` +
        `  repetition ${spec.repetition.enabled ? `on: ${spec.repetition.penalty} per distinct token, scope ${spec.repetition.scope}` : "off"}\n` +
        `  start ${spec.start.enabled ? "on" : "off"}\n`,
    );
  });

const schema = new Command("schema")
  .description("print the JSON Schema of rule files")
  .action(() => printJson(ruleSpecJsonSchema()));

export const rulesCommand = new Command("rules")
  .description("the rule-based adapter: inspect presets and rule files, fit rules on dev prompts")
  .addCommand(show)
  .addCommand(schema)
  .addCommand(fitCommand);
