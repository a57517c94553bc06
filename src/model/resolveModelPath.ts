import { ModelLoadError } from "../errors.js";
import { stderrProgress, type DownloadProgress } from "../util/downloadProgress.js";
import { modelsDir } from "./modelsDir.js";

const REMOTE = /^(hf:|https?:\/\/)/;

export type { DownloadProgress } from "../util/downloadProgress.js";

export interface ResolveModelOptions {
  /** `false`: only look in the models directory, never download. Defaults to downloading when missing. */
  download?: boolean;
  /** Where downloads go; see modelsDir(). */
  modelsDir?: string;
  /** Called as bytes arrive; `false` silences the default progress on stderr. */
  onDownloadProgress?: ((p: DownloadProgress) => void) | false;
}

/**
 * A local path is used as is. `hf:user/repo:quant`, `hf:user/repo/file.gguf` and URLs go through
 * node-llama-cpp's resolver into modelsDir(), once: it downloads into `NAME.ipull` and renames it to
 * NAME only when complete, so a killed download never leaves a file that looks whole (the next run
 * resumes it). The Hugging Face endpoint is `HF_ENDPOINT` (or `MODEL_ENDPOINT`), as in llama.cpp.
 */
export async function resolveModelPath(uri: string, opts: ResolveModelOptions = {}): Promise<string> {
  if (!REMOTE.test(uri)) return uri;
  const { resolveModelFile } = await import("node-llama-cpp");
  const directory = modelsDir(opts.modelsDir);
  const shown = opts.onDownloadProgress === undefined ? stderrProgress(uri, directory) : undefined;
  const progress = opts.onDownloadProgress || shown?.update;
  try {
    if (opts.download !== false) {
      const onDisk = await resolveModelFile(uri, { directory, download: false, cli: false }).catch(() => undefined);
      if (onDisk) return onDisk;
      await checkReachable(uri.startsWith("hf:") ? hfEndpoint() : uri);
    }
    const path = await resolveModelFile(uri, {
      directory,
      download: opts.download === false ? false : "auto",
      cli: false, // its bar writes to stdout, which --json output owns
      onProgress:
        progress &&
        (({ totalSize, downloadedSize }) => progress({ downloadedBytes: downloadedSize, totalBytes: totalSize })),
    });
    shown?.done(path);
    return path;
  } catch (e) {
    const from = uri.startsWith("hf:") ? ` from ${hfEndpoint()}` : "";
    throw new ModelLoadError(
      "MODEL_RESOLVE_FAILED",
      `could not get ${uri}${from} into ${directory}: ${(e as Error).message}`,
      {
        cause: e,
        suggestion:
          opts.download === false
            ? "download it first (drop download: false), or pass a local GGUF path"
            : "check the URI, the network and HF_ENDPOINT (a private repo needs HF_TOKEN); rerunning resumes a partial download, " +
              "or download the GGUF yourself and pass its path",
      },
    );
  }
}

/** The downloader retries a refused connection for minutes; one request to the server's root fails fast instead. */
async function checkReachable(url: string): Promise<void> {
  const origin = new URL(url).origin;
  try {
    await fetch(origin, { method: "HEAD", signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    const why = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new Error(`${origin} is unreachable (${why})`, { cause: e });
  }
}

/** The endpoint node-llama-cpp resolves hf: against (its order), named in errors. */
function hfEndpoint(): string {
  return process.env.MODEL_ENDPOINT || process.env.HF_ENDPOINT || "https://huggingface.co/";
}
