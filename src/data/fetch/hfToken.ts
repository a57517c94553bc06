import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The Hugging Face token, found where Hugging Face's own tools look: `HF_TOKEN`, else the file
 * `huggingface-cli login` writes (`$HF_HOME/token`, HF_HOME defaulting to ~/.cache/huggingface).
 */
export async function hfToken(): Promise<string | undefined> {
  if (process.env.HF_TOKEN) return process.env.HF_TOKEN;
  const home = process.env.HF_HOME || join(homedir(), ".cache", "huggingface");
  const token = await readFile(join(home, "token"), "utf8").catch(() => "");
  return token.trim() || undefined;
}
