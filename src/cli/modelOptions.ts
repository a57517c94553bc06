import type { Command } from "commander";
import { parseLoraArg, type LoadModelOptions, type LoraSpec } from "../model/options.js";
import { collect, intOption } from "./util.js";

/** --load's help, for every benchmark that has it. */
export const LOAD_HELP = "busy processes (one spinning core each) started beside the measurement and stopped after it";
/** --threads' help, for every command that has it. */
export const THREADS_HELP =
  "CPU threads, fixed (default: start at a count chosen from the model's size, 1 for tiny models, and move each decode or training window between 1 and the cores by measured time)";
/** --poll's help, for every command that has it. */
export const POLL_HELP =
  "ggml's polling level 0..100 for threads waiting for the next decode (default 0: they sleep; llama.cpp's tools use 50)";

/** --model, --lora, --threads, --poll, --gpu-layers: shared by every command that loads a model. */
export function addModelOptions(cmd: Command, { required = true } = {}): Command {
  const modelHelp = "GGUF model path, or hf:user/repo:quant (downloads with internet access)";
  if (required) cmd.requiredOption("-m, --model <path>", modelHelp);
  else cmd.option("-m, --model <path>", modelHelp);
  cmd
    .option("--lora <path[:scale]>", "LoRA adapter applied at load time (repeatable)", collect(parseLoraArg), [])
    .option("-t, --threads <n>", THREADS_HELP, intOption("--threads"))
    .option("--poll <level>", POLL_HELP, intOption("--poll"))
    .option("--gpu-layers <n>", "layers offloaded on GPU builds (-1 = all)", intOption("--gpu-layers"), -1);
  return cmd;
}

/** What addModelOptions adds, as commander parses it (`model` is absent only where it is not required). */
export interface ModelCliOptions {
  model: string;
  lora: LoraSpec[];
  threads?: number;
  poll?: number;
  gpuLayers: number;
}

export function modelOptionsFrom(opts: ModelCliOptions): LoadModelOptions {
  return { model: opts.model, loras: opts.lora, threads: opts.threads, poll: opts.poll, gpuLayers: opts.gpuLayers };
}
