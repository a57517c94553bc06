import { ModelLoadError } from "../errors.js";

const REMOTE = /^(hf:|https?:\/\/)/;

/**
 * A local path is used as is. `hf:user/repo:quant`, `hf:user/repo/file.gguf` and URLs go through
 * node-llama-cpp's resolver, which downloads into ~/.node-llama-cpp/models (or IIT_MODELS_DIR) once.
 */
export async function resolveModelPath(uri: string, opts: { download?: boolean } = {}): Promise<string> {
  if (!REMOTE.test(uri)) return uri;
  const { resolveModelFile } = await import("node-llama-cpp");
  try {
    return await resolveModelFile(uri, {
      directory: process.env.IIT_MODELS_DIR,
      download: opts.download === false ? false : "auto",
      cli: process.stderr.isTTY,
    });
  } catch (e) {
    throw new ModelLoadError("MODEL_RESOLVE_FAILED", `could not resolve ${uri}: ${(e as Error).message}`, {
      cause: e,
      suggestion: "check the URI and your network, or download the GGUF yourself and pass its path",
    });
  }
}
