import { Command } from "commander";
import { loadModel } from "../../model/Model.js";
import { addModelOptions, modelOptionsFrom, type ModelCliOptions } from "../modelOptions.js";
import { printJson } from "../util.js";

export const inspectCommand = addModelOptions(
  new Command("inspect")
    .description("print a GGUF model's metadata: architecture, parameters, context, vocabulary, special tokens, chat template")
    .option("--vocab-only", "read only the vocabulary (fast; works on vocab-only GGUFs)")
    .option("--metadata", "include every GGUF key/value")
    .option("--json", "print one JSON object on stdout"),
).action(async (o: ModelCliOptions & { vocabOnly?: boolean; metadata?: boolean; json?: boolean }) => {
  await using model = await loadModel({ ...modelOptionsFrom(o), vocabOnly: !!o.vocabOnly });
  const { metadata, ...meta } = model.meta;
  const info = { ...meta, loras: model.loras, ...(o.metadata ? { metadata } : {}) };
  if (o.json) return printJson(info);
  for (const [k, v] of Object.entries(info)) {
    if (k === "metadata" || k === "chatTemplate") continue;
    process.stdout.write(`${k.padEnd(12)} ${typeof v === "object" ? JSON.stringify(v) : String(v)}\n`);
  }
  process.stdout.write(`${"chatTemplate".padEnd(12)} ${meta.chatTemplate ? `${meta.chatTemplate.length} chars` : "none"}\n`);
  if (o.metadata) for (const [k, v] of Object.entries(metadata)) process.stdout.write(`  ${k} = ${v.slice(0, 200)}\n`);
});
