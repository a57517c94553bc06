// A real HTTP server standing in for Hugging Face (HF_ENDPOINT) and GitHub's raw files
// (IIT_GITHUB_ENDPOINT = URL + "gh"): serves local files at the paths `iit data get` asks for, with
// Range and If-Range (a strong ETag of the content), X-Repo-Commit, a token check for gated files, and transfers cut short on demand.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ServedFile {
  /** The content (unused with `redirect`). */
  file: string;
  /** Gated: 401 without a bearer token, 403 with another one. */
  token?: string;
  /** Sends the full Content-Length, then closes the connection after this many bytes. */
  cutAfter?: number;
  /** Sends this many bytes every 50 ms (a slow link), so a client can be killed mid-transfer. */
  throttle?: number;
  /** Answer 302 to this URL instead (after the token check, with X-Repo-Commit), as Hugging Face does for LFS files. */
  redirect?: string;
  /** Sent as X-Repo-Commit (Hugging Face does, for resolve/ URLs). */
  repoCommit?: string;
}

export interface DataServer {
  /** HF_ENDPOINT */
  url: string;
  /** IIT_GITHUB_ENDPOINT */
  github: string;
  files: Record<string, ServedFile>;
  requests: { method: string; path: string; range?: string; ifRange?: string; authorization?: string }[];
  close: () => Promise<void>;
}

/** files: URL path without the leading slash ("datasets/o/r/resolve/REV/f", "gh/o/r/REV/f") → what to serve. */
export async function startDataServer(files: Record<string, ServedFile>): Promise<DataServer> {
  const requests: DataServer["requests"] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\//, "");
    const ifRange = req.headers["if-range"] as string | undefined;
    requests.push({
      method: req.method ?? "",
      path,
      range: req.headers.range,
      ifRange,
      authorization: req.headers.authorization,
    });
    const served = files[path];
    if (!served) return void res.writeHead(404, { "content-type": "text/plain" }).end("Entry not found");
    if (served.token && req.headers.authorization !== `Bearer ${served.token}`) {
      return void res
        .writeHead(req.headers.authorization ? 403 : 401, { "content-type": "text/plain" })
        .end("Access to this dataset is restricted");
    }
    if (served.redirect) {
      return void res
        .writeHead(302, {
          location: served.redirect,
          ...(served.repoCommit ? { "x-repo-commit": served.repoCommit } : {}),
        })
        .end();
    }
    const body = readFileSync(served.file);
    const etag = `"${createHash("sha256").update(body).digest("hex")}"`;
    // If-Range with another ETag: the file changed, so the whole of it is sent (200), as HTTP says.
    const m = ifRange !== undefined && ifRange !== etag ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = m ? Number(m[1]) : 0;
    if (start >= body.length && m) {
      return void res.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
    }
    res.writeHead(m ? 206 : 200, {
      "content-type": "application/octet-stream",
      "content-length": String(body.length - start),
      "accept-ranges": "bytes",
      etag,
      ...(m ? { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
      ...(served.repoCommit ? { "x-repo-commit": served.repoCommit } : {}),
    });
    if (req.method === "HEAD") return void res.end();
    if (served.cutAfter !== undefined && served.cutAfter < body.length - start) {
      // Let the client take in what was sent before the connection drops, as on a real network.
      res.write(body.subarray(start, start + served.cutAfter), () => setTimeout(() => res.socket?.destroy(), 100));
      return;
    }
    if (served.throttle) {
      let at = start;
      const step = () => {
        if (res.destroyed) return;
        const next = Math.min(at + served.throttle!, body.length);
        res.write(body.subarray(at, next));
        at = next;
        if (at < body.length) setTimeout(step, 50);
        else res.end();
      };
      return step();
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    github: `${url}/gh`,
    files,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
