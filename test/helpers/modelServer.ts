// A real HTTP server standing in for the Hugging Face endpoint (HF_ENDPOINT): serves files at
// /<owner>/<repo>/resolve/main/<file> with HEAD and Range, optionally slowly, and logs what it sent.
import { createReadStream, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ModelServer {
  url: string;
  requests: string[];
  bytesSent: () => number;
  close: () => Promise<void>;
}

/** files: URL path ("owner/repo/resolve/main/x.gguf") → local file. throttle: bytes per 50 ms per response. */
export async function startModelServer(
  files: Record<string, string>,
  opts: { throttle?: number } = {},
): Promise<ModelServer> {
  const requests: string[] = [];
  let sent = 0;
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\//, "");
    requests.push(`${req.method} /${path}`);
    const file = files[path];
    if (!file) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Entry not found");
      return;
    }
    const size = statSync(file).size;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const start = m ? Number(m[1]) : 0;
    const end = m?.[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    res.writeHead(m ? 206 : 200, {
      "content-type": "application/octet-stream",
      "content-length": String(end - start + 1),
      "accept-ranges": "bytes",
      ...(m ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === "HEAD") return void res.end();
    const stream = createReadStream(file, { start, end, highWaterMark: opts.throttle ?? 64 * 1024 });
    stream.on("data", (chunk) => {
      sent += chunk.length;
      res.write(chunk);
      if (opts.throttle) {
        stream.pause();
        setTimeout(() => stream.resume(), 50);
      }
    });
    stream.on("end", () => res.end());
    res.on("close", () => stream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    bytesSent: () => sent,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
