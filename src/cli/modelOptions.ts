import type { Command } from "commander";
import { parseLoraArg, type LoadModelOptions, type LoraSpec } from "../model/options.js";
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

/** What addModelOptions adds, as commander parses it (`model` is absent only where it is not required). */
export interface ModelCliOptions {
  model: string;
  lora: LoraSpec[];
  threads?: number;
  gpuLayers: number;
}

export function modelOptionsFrom(o: ModelCliOptions): LoadModelOptions {
  return { model: o.model, loras: o.lora, threads: o.threads, gpuLayers: o.gpuLayers };
}
