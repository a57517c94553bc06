import type { Command } from "commander";
import { parseLoraArg, type LoadModelOptions } from "../model/options.js";
import { collect, intOption } from "./util.js";

/** --model, --lora, --threads, --gpu-layers: shared by every command that loads a model. */
export function addModelOptions(cmd: Command, { required = true } = {}): Command {
  const modelHelp = "GGUF model path, or hf:user/repo:quant (downloads with internet access)";
  if (required) cmd.requiredOption("-m, --model <path>", modelHelp);
  else cmd.option("-m, --model <path>", modelHelp);
  cmd
    .option("--lora <path[:scale]>", "LoRA adapter applied at load time (repeatable)", collect(parseLoraArg), [])
    .option("-t, --threads <n>", "CPU threads (default: number of cores; never more)", intOption("--threads"))
    .option("--gpu-layers <n>", "layers offloaded on GPU builds (-1 = all)", intOption("--gpu-layers"), -1);
  return cmd;
}

export function modelOptionsFrom(o: Record<string, unknown>): LoadModelOptions {
  return {
    model: o.model as string,
    loras: o.lora as LoadModelOptions["loras"],
    threads: o.threads as number | undefined,
    gpuLayers: o.gpuLayers as number,
  };
}
