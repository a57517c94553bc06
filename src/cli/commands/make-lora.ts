import { Command } from "commander";
import { makeLora } from "../../model/makeLora.js";
import { floatOption, intOption, printJson } from "../util.js";
import { UINT32_MAX } from "../../util/numbers.js";

export const makeLoraCommand = new Command("make-lora")
  .description(
    "write a LoRA adapter GGUF for a base model: A random, B zero (a no-op, where training starts) or random",
  )
  .requiredOption("-m, --base <gguf>", "the base model the adapter is for")
  .requiredOption("-o, --output <file>", "the adapter GGUF to write")
  .option("--rank <r>", "adapter rank", intOption("--rank", { min: 1 }), 8)
  .option("--alpha <a>", "LoRA alpha (default 2 × rank)", floatOption("--alpha"))
  .option("--targets <list>", "comma-separated weight names inside each block", "attn_q,attn_v")
  .option("--b-std <x>", "std of B's initial values (0 = a no-op adapter)", floatOption("--b-std", { min: 0 }), 0)
  .option("--seed <n>", "initialisation seed", intOption("--seed", { min: 0, max: UINT32_MAX }), 42)
  .option("--json", "print one JSON object on stdout")
  .action(
    async (opts: {
      base: string;
      output: string;
      rank: number;
      alpha?: number;
      targets: string;
      bStd: number;
      seed: number;
      json?: boolean;
    }) => {
      const r = await makeLora({
        base: opts.base,
        output: opts.output,
        rank: opts.rank,
        alpha: opts.alpha,
        targets: opts.targets
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
        bStd: opts.bStd,
        seed: opts.seed,
      });
      if (opts.json) printJson(r);
      else process.stdout.write(`wrote ${r.path} (${r.nParams} parameters)\n`);
    },
  );
