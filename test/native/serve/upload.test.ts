// Issue 25 item 13: a client still uploading a body over the limit receives the 413, not EPIPE/ECONNRESET.
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { cliPath, skipNoModel, storiesModel } from "../../helpers/fixtures.js";
import { startServe } from "./proc.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");

/** Sends a `size`-byte JSON body in small chunks with pauses (a slow uploader) over a raw socket. */
function slowUpload(
  port: number,
  size: number,
  chunk = 32 * 1024,
  pauseMs = 2,
): Promise<{ response: string; sent: number; error?: string }> {
  return new Promise((resolve) => {
    const sock = connect(port, "127.0.0.1");
    let response = "";
    let sent = 0;
    let error: string | undefined;
    sock.on("data", (d) => (response += d));
    sock.on("error", (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    sock.on("close", () => resolve({ response, sent, error }));
    sock.on("connect", async () => {
      sock.write(
        `POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
      );
      const piece = Buffer.alloc(chunk, "a");
      while (sent < size && !error && !sock.destroyed) {
        const n = Math.min(chunk, size - sent);
        sock.write(piece.subarray(0, n));
        sent += n;
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
  });
}

describe.skipIf(skip)("iit serve: 413 to a client still uploading (real process, raw socket)", () => {
  it("a 2 MB body sent slowly gets the whole 413 with Connection: close, and every byte of it is accepted", async () => {
    const s = await startServe(["-m", storiesModel, "-t", "1"]);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await slowUpload(s.port, 2 * 1024 * 1024);
        expect(r.error, r.response).toBeUndefined();
        expect(r.sent).toBe(2 * 1024 * 1024);
        expect(r.response).toMatch(/^HTTP\/1\.1 413 /);
        expect(r.response.toLowerCase()).toContain("connection: close");
        expect(r.response).toMatch(/"error"/);
      }
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });
});
