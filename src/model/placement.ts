import type { NativeModelMeta } from "../bindings/AddonTypes.js";
import { type GpuBackend, loadedBackend } from "../bindings/loadAddon.js";

/** Where a loaded model runs. */
export interface ModelPlacement {
  /** The native addon build this process loaded. */
  backend: GpuBackend;
  /** The device(s) holding offloaded layers, comma-separated, or "CPU". */
  device: string;
  layersOffloaded: number;
  /** nLayer + 1: the output layer counts, as in llama.cpp's "offloaded 9/9 layers". */
  layers: number;
}

export function placementOf(offload: NativeModelMeta["offload"]): ModelPlacement {
  return {
    backend: loadedBackend()?.backend ?? "cpu",
    device: offload.layers > 0 ? offload.devices.join(",") : "CPU",
    layersOffloaded: offload.layers,
    layers: offload.of,
  };
}

/** One line for stderr: "device Vulkan0 (vulkan build), 9/9 layers offloaded". */
export function placementLine(p: ModelPlacement): string {
  return `device ${p.device} (${p.backend} build), ${p.layersOffloaded}/${p.layers} layers offloaded`;
}
