// A raw server-sent-events client over a TCP socket: HTTP/1.1 by hand, chunked transfer decoding, one
// event per blank-line-separated block. No HTTP library between the test and the bytes on the wire.
import { connect, type Socket } from "node:net";

export interface SseEvent {
  data: string;
  at: number; // performance.now() when the event was complete
}

export interface SseResponse {
  status: number;
  headers: Record<string, string>;
  /** The body of a non-stream answer (an error before the stream starts). */
  body: string;
  events: SseEvent[];
  socket: Socket;
}

/**
 * POSTs `body` to `url` and collects events until the server ends the response, or until `until`
 * returns true for the events so far (the socket is then destroyed: a client that goes away).
 */
export function sse(url: string, body: unknown, until?: (events: SseEvent[]) => boolean): Promise<SseResponse> {
  const u = new URL(url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    let raw = Buffer.alloc(0);
    let head: { status: number; headers: Record<string, string>; chunked: boolean } | undefined;
    let bodyBytes = Buffer.alloc(0);
    let text = "";
    const events: SseEvent[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve({ status: head?.status ?? 0, headers: head?.headers ?? {}, body: text, events, socket });
    };
    socket.on("connect", () => {
      socket.write(
        `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
      );
    });
    socket.on("data", (d: Buffer) => {
      raw = Buffer.concat([raw, d]);
      if (!head) {
        const end = raw.indexOf("\r\n\r\n");
        if (end < 0) return;
        const lines = raw.subarray(0, end).toString("latin1").split("\r\n");
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(":");
          headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        head = {
          status: Number(lines[0].split(" ")[1]),
          headers,
          chunked: /chunked/i.test(headers["transfer-encoding"] ?? ""),
        };
        raw = raw.subarray(end + 4);
      }
      if (head.chunked) {
        // <hex size>\r\n<bytes>\r\n ... 0\r\n\r\n
        for (;;) {
          const eol = raw.indexOf("\r\n");
          if (eol < 0) break;
          const size = parseInt(raw.subarray(0, eol).toString("latin1"), 16);
          if (raw.length < eol + 2 + size + 2) break;
          bodyBytes = Buffer.concat([bodyBytes, raw.subarray(eol + 2, eol + 2 + size)]);
          raw = raw.subarray(eol + 2 + size + 2);
        }
      } else {
        bodyBytes = Buffer.concat([bodyBytes, raw]);
        raw = Buffer.alloc(0);
      }
      // Bytes are decoded only up to the last complete event, so a character split across TCP chunks stays whole.
      for (;;) {
        const sep = bodyBytes.indexOf("\n\n");
        if (sep < 0 || !/^text\/event-stream/.test(head.headers["content-type"] ?? "")) break;
        const block = bodyBytes.subarray(0, sep).toString("utf8");
        bodyBytes = bodyBytes.subarray(sep + 2);
        const data = block
          .split("\n")
          .filter((l) => l.startsWith("data: "))
          .map((l) => l.slice(6))
          .join("\n");
        events.push({ data, at: performance.now() });
      }
      if (!/^text\/event-stream/.test(head.headers["content-type"] ?? "")) text = bodyBytes.toString("utf8");
      if (until?.(events)) {
        socket.destroy();
        finish();
      }
    });
    socket.on("error", (e) => (done ? undefined : reject(e)));
    socket.on("close", finish);
  });
}

/** The JSON chunks of a stream (without `[DONE]`). */
export const chunksOf = (r: SseResponse) => r.events.filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data));
