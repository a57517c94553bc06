import type { NativeDevice } from "../bindings/AddonTypes.js";
import { type GpuBackend, loadAddon, loadedBackend } from "../bindings/loadAddon.js";

export interface SystemInfo {
  /** The native addon build this process loaded, and its file. */
  build: { backend: GpuBackend; addonPath: string };
  /** ggml backends compiled into that build, e.g. ["CPU"] or ["Vulkan", "CPU"]. */
  backends: string[];
  /** Every device those backends found, with its memory in bytes. */
  devices: NativeDevice[];
  /** Where a model's layers go with gpuLayers -1 (GPUs, else integrated GPUs); empty = the CPU. */
  offloadDevices: string[];
  /** CPU features the CPU backend uses (llama_print_system_info). */
  cpuFeatures: string;
  /** Bytes of models and contexts alive in this process (what V8 is told as external memory). */
  heldBytes: number;
  /** Why a GPU build found no device to offload to, and what to do; absent when there is nothing to say. */
  note?: string;
}

/** What runs where: the build, its backends and devices (memory included), and what models would use. */
export function systemInfo(options: { gpu?: GpuBackend } = {}): SystemInfo {
  const info = loadAddon(options.gpu).systemInfo();
  const build = loadedBackend()!;
  const out: SystemInfo = {
    build: { backend: build.backend, addonPath: build.path },
    backends: info.backends,
    devices: info.devices,
    offloadDevices: info.offloadDevices,
    cpuFeatures: info.llamaSystemInfo.trim(),
    heldBytes: info.heldBytes,
  };
  if (build.backend !== "cpu" && info.offloadDevices.length === 0) {
    out.note =
      build.backend === "vulkan"
        ? "no Vulkan GPU found, so layers stay on the CPU; llama.cpp skips CPU-type Vulkan devices (lavapipe) " +
          "unless GGML_VK_VISIBLE_DEVICES selects them, e.g. GGML_VK_VISIBLE_DEVICES=0 (see `vulkaninfo --summary`)"
        : `no ${build.backend} device found, so layers stay on the CPU`;
  }
  return out;
}
