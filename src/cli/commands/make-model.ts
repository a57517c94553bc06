import { Command, Option } from "commander";
import { makeModel, MAX_LAYERS } from "../../model/makeModel.js";
import { intOption, printJson } from "../util.js";
import { UINT32_MAX } from "../../util/numbers.js";

export const makeModelCommand = new Command("make-model")
  .description("write a random-weight llama GGUF (test fixture, benchmark subject, start point for training)")
  .requiredOption(
    "--vocab <name|path>",
    "vocabulary GGUF to copy: a path or a pinned llama.cpp vocab name, e.g. llama-spm (Llama-2 32k)",
  )
  .requiredOption("-o, --output <file>", "the GGUF to write")
  .option(
    "--layers <n>",
    "transformer blocks (at most 512, what llama.cpp loads)",
    intOption("--layers", { min: 1, max: MAX_LAYERS }),
    2,
  )
  .option("--width <n>", "embedding width", intOption("--width", { min: 1 }), 64)
  .option("--heads <n>", "attention heads", intOption("--heads", { min: 1 }), 4)
  .option("--kv-heads <n>", "key/value heads (default: --heads)", intOption("--kv-heads", { min: 1 }))
  .option("--ff <n>", "feed-forward width (default: 8/3 × width, multiple of 32)", intOption("--ff", { min: 1 }))
  .option("--context <n>", "training context recorded in the file", intOption("--context", { min: 1 }), 2048)
  .option("--seed <n>", "weight initialisation seed", intOption("--seed", { min: 0, max: UINT32_MAX }), 42)
  .addOption(
    new Option("--type <type>", "weight type (f16/q8_0 through llama.cpp's quantizer; only f32 can be fully finetuned)")
      .choices(["f32", "f16", "q8_0"])
      .default("f32"),
  )
  .option("--json", "print one JSON object on stdout")
  .action(
    async (opts: {
      vocab: string;
      output: string;
      layers: number;
      width: number;
      heads: number;
      kvHeads?: number;
      ff?: number;
      context: number;
      seed: number;
      type: "f32" | "f16" | "q8_0";
      json?: boolean;
    }) => {
      const r = await makeModel({
        vocab: opts.vocab,
        output: opts.output,
        layers: opts.layers,
        width: opts.width,
        heads: opts.heads,
        kvHeads: opts.kvHeads,
        ff: opts.ff,
        context: opts.context,
        seed: opts.seed,
        type: opts.type,
      });
      if (opts.json) printJson(r);
      else process.stdout.write(`wrote ${r.path} (${(r.nParams / 1e6).toFixed(2)}M parameters)\n`);
    },
  );
