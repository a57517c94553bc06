import { Command } from "commander";
import { InvalidOptionError } from "../../errors.js";
import { loadModel } from "../../model/Model.js";
import { type ModelPlacement, placementLine } from "../../model/placement.js";
import { systemInfo } from "../../model/systemInfo.js";
import { addModelOptions, modelOptionsFrom, type ModelCliOptions } from "../modelOptions.js";
import { printJson } from "../util.js";

const GB = 2 ** 30;

type InspectCliOptions = ModelCliOptions & {
  vocabOnly?: boolean;
  metadata?: boolean;
  system?: boolean;
  json?: boolean;
};

export const inspectCommand = addModelOptions(
  new Command("inspect")
    .description(
      "print a GGUF model's metadata (architecture, parameters, context, vocabulary, special tokens, chat template), or with --system what runs where",
    )
    .option("--vocab-only", "read only the vocabulary (fast; works on vocab-only GGUFs)")
    .option("--metadata", "include every GGUF key/value")
    .option(
      "--system",
      "the native build, its ggml backends and devices with memory; with --model, where that model's layers went",
    )
    .option("--json", "print one JSON object on stdout"),
  { required: false },
).action(async (opts: InspectCliOptions) => {
  if (opts.system) return inspectSystem(opts);
  if (!opts.model) throw new InvalidOptionError("INVALID_OPTION", "inspect needs --model <path> (or --system)");
  await using model = await loadModel({ ...modelOptionsFrom(opts), vocabOnly: !!opts.vocabOnly });
  const { metadata, ...meta } = model.meta;
  const info = { ...meta, loras: model.loras, ...(opts.metadata ? { metadata } : {}) };
  if (opts.json) return printJson(info);
  for (const [k, v] of Object.entries(info)) {
    if (k === "metadata" || k === "chatTemplate") continue;
    process.stdout.write(`${k.padEnd(12)} ${typeof v === "object" ? JSON.stringify(v) : String(v)}\n`);
  }
  process.stdout.write(
    `${"chatTemplate".padEnd(12)} ${meta.chatTemplate ? `${meta.chatTemplate.length} chars` : "none"}\n`,
  );
  if (opts.metadata)
    for (const [k, v] of Object.entries(metadata)) process.stdout.write(`  ${k} = ${v.slice(0, 200)}\n`);
});

async function inspectSystem(opts: InspectCliOptions): Promise<void> {
  const sys = systemInfo();
  let model: ({ path: string } & ModelPlacement) | undefined;
  if (opts.model) {
    await using m = await loadModel({ ...modelOptionsFrom(opts), vocabOnly: !!opts.vocabOnly });
    model = { path: m.path, ...m.placement };
  }
  if (opts.json) return printJson({ ...sys, ...(model ? { model } : {}) });
  const out = (s: string) => process.stdout.write(s + "\n");
  out(`build        ${sys.build.backend} (${sys.build.addonPath})`);
  out(`backends     ${sys.backends.join(", ")}`);
  out("devices");
  for (const d of sys.devices) {
    const mem =
      d.memoryTotal > 0 ? `, ${(d.memoryFree / GB).toFixed(1)} of ${(d.memoryTotal / GB).toFixed(1)} GB free` : "";
    out(`  ${d.name.padEnd(10)} ${d.type.padEnd(5)} ${d.description}${mem}`);
  }
  out(`offload to   ${sys.offloadDevices.length ? sys.offloadDevices.join(", ") : "none (models run on the CPU)"}`);
  out(`cpu features ${sys.cpuFeatures}`);
  if (model) out(`model        ${model.path}: ${placementLine(model)}`);
  if (sys.note) out(`note         ${sys.note}`);
}
