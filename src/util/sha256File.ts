import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** A file's sha256 (hex), read in chunks: a model or dataset is never held in memory whole. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}
