// One file over HTTP into place: bytes go to `FILE.part` beside it, a rerun resumes that part with a
// Range request, and only a complete file is renamed to FILE — a killed or cut transfer never leaves
// a file that looks whole. `FILE.part.json` says which URL and version (ETag) the part holds, so a
// part is resumed only from the same URL, and with If-Range: a file changed since is sent whole.
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { AbortError, DatasetError } from "../../errors.js";
import type { DownloadProgress } from "../../util/downloadProgress.js";

export interface DownloadOptions {
  headers?: Record<string, string>;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** For 401/403: the page where a gated dataset's terms are accepted. */
  gatedPage?: string;
}

export interface DownloadResult {
  bytes: number;
  /** Bytes that were already on disk from an earlier, interrupted run. */
  resumedFrom: number;
  /** The commit the server says it served (Hugging Face's X-Repo-Commit), when it says. */
  servedRevision?: string;
}

export function partPath(dest: string): string {
  return `${dest}.part`;
}

interface PartInfo {
  url: string;
  etag?: string;
}

export async function downloadFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  await mkdir(dirname(dest), { recursive: true });
  const part = partPath(dest);
  const info = `${part}.json`;
  const had = await readPartInfo(info);
  let have = (await stat(part).catch(() => undefined))?.size ?? 0;
  if (have > 0 && had?.url !== url) {
    await rm(part, { force: true }); // bytes of another URL (or of unknown origin): never mixed in
    have = 0;
  }
  const { res, repoCommit } = await request(url, have, had?.etag, opts);
  if (have > 0 && (res.status === 416 || (res.status === 206 && contentRangeStart(res) !== have))) {
    // The part does not fit what the server has now (or is already whole): start over.
    await res.body?.cancel();
    await rm(part, { force: true });
    return downloadFile(url, dest, opts);
  }
  if (!res.ok) throw await httpError(url, res, opts);
  const etag = res.headers.get("etag") ?? undefined;
  await writeFile(info, JSON.stringify({ url, etag } satisfies PartInfo) + "\n");

  const resumed = res.status === 206; // else a 200: the server sends it all again
  const start = resumed ? have : 0;
  const length = Number(res.headers.get("content-length") ?? NaN);
  const total = totalSize(res) ?? (Number.isFinite(length) ? start + length : 0);
  const fh = await open(part, resumed ? "a" : "w");
  let written = start;
  try {
    opts.onProgress?.({ downloadedBytes: written, totalBytes: total });
    if (res.body) {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        await fh.write(chunk);
        written += chunk.length;
        opts.onProgress?.({ downloadedBytes: written, totalBytes: total });
      }
    }
    await fh.sync();
  } catch (e) {
    if (opts.signal?.aborted)
      throw new AbortError(`download of ${url} aborted; rerun to resume from ${written} bytes`, { cause: e });
    throw truncated(url, written, total, part, e);
  } finally {
    await fh.close();
  }
  if (total > 0 && written !== total) throw truncated(url, written, total, part);
  await rename(part, dest);
  await rm(info, { force: true });
  return { bytes: written, resumedFrom: start, servedRevision: repoCommit };
}

async function readPartInfo(path: string): Promise<PartInfo | undefined> {
  try {
    const v = JSON.parse(await readFile(path, "utf8")) as PartInfo;
    return typeof v?.url === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GET with redirects followed by hand: Hugging Face answers an LFS file with a redirect to its CDN, and
 * only that first answer says which commit it resolved (X-Repo-Commit). The token is not sent on to
 * another origin.
 */
async function request(
  url: string,
  from: number,
  etag: string | undefined,
  opts: DownloadOptions,
): Promise<{ res: Response; repoCommit?: string }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (from > 0) headers.range = `bytes=${from}-`;
  // If-Range takes a strong validator only; without one the part is resumed as is (pinned revisions do not change).
  if (from > 0 && etag && !etag.startsWith("W/")) headers["if-range"] = etag;
  let target = url;
  let repoCommit: string | undefined;
  try {
    for (let hops = 0; ; hops++) {
      const res = await fetch(target, { headers, signal: opts.signal, redirect: "manual" });
      repoCommit ??= res.headers.get("x-repo-commit") ?? undefined;
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || !location || hops === 10) return { res, repoCommit };
      await res.body?.cancel();
      const next = new URL(location, target);
      if (next.origin !== new URL(target).origin) delete headers.authorization;
      target = next.href;
    }
  } catch (e) {
    if (opts.signal?.aborted) throw new AbortError(`download of ${url} aborted`, { cause: e });
    const why = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new DatasetError(
      "DATA_UNREACHABLE",
      `${url} is unreachable (${why?.code ?? why?.message ?? (e as Error).message})`,
      {
        cause: e,
        suggestion:
          "check the network; HF_ENDPOINT (Hugging Face) and IIT_GITHUB_ENDPOINT (GitHub raw files) point at mirrors; rerunning resumes",
      },
    );
  }
}

async function httpError(url: string, res: Response, opts: DownloadOptions): Promise<DatasetError> {
  await res.body?.cancel().catch(() => undefined);
  if (res.status === 401 || res.status === 403) {
    const token = opts.headers?.authorization
      ? "the token sent has no access to it yet"
      : "no token was sent: HF_TOKEN is not set";
    return new DatasetError("DATA_ACCESS_DENIED", `${url}: HTTP ${res.status}, access denied (${token})`, {
      suggestion: opts.gatedPage
        ? `the dataset is gated: log in at ${opts.gatedPage}, accept its terms, then set HF_TOKEN to an access token of that account (https://huggingface.co/settings/tokens; or \`huggingface-cli login\`) and rerun`
        : "set HF_TOKEN to a token with access, or check HF_ENDPOINT / IIT_GITHUB_ENDPOINT",
    });
  }
  return new DatasetError("DATA_DOWNLOAD_FAILED", `${url}: HTTP ${res.status} ${res.statusText}`.trimEnd(), {
    suggestion:
      res.status === 404
        ? "the file is not at that revision on this endpoint: check HF_ENDPOINT / IIT_GITHUB_ENDPOINT (a mirror may lack it)"
        : "the server failed; rerun later (a partial download resumes)",
  });
}

function truncated(url: string, written: number, total: number, part: string, cause?: unknown): DatasetError {
  const of = total > 0 ? ` of ${total}` : "";
  const why = cause ? `: ${(cause as Error).message}` : "";
  return new DatasetError("DATA_DOWNLOAD_TRUNCATED", `${url}: the transfer stopped after ${written}${of} bytes${why}`, {
    cause,
    suggestion: `rerun the same command: it resumes from the ${written} bytes kept in ${part}`,
  });
}

function contentRangeStart(res: Response): number | undefined {
  const m = /^bytes (\d+)-/.exec(res.headers.get("content-range") ?? "");
  return m ? Number(m[1]) : undefined;
}

function totalSize(res: Response): number | undefined {
  const m = /\/(\d+)$/.exec(res.headers.get("content-range") ?? "");
  return m ? Number(m[1]) : undefined;
}
