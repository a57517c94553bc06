import { readFile } from "node:fs/promises";
import type { Message } from "../data/template.js";
import { DatasetError } from "../errors.js";
import { stripBom } from "../util/bom.js";

export interface PromptRecord {
  instruction: string;
  dataset?: string;
  messages?: Message[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function fromObject(v: unknown, where: string): PromptRecord {
  if (!isObj(v)) throw new DatasetError("DATA_MALFORMED", `${where}: expected a JSON object`);
  if (typeof v.instruction === "string") {
    return { instruction: v.instruction, ...(typeof v.dataset === "string" ? { dataset: v.dataset } : {}) };
  }
  if (Array.isArray(v.messages)) {
    const msgs = v.messages as Message[];
    // A training example: prompt with everything before the last assistant turn.
    let end = msgs.length;
    while (end > 0 && msgs[end - 1]?.role === "assistant") end--;
    const convo = msgs.slice(0, end);
    const lastUser = [...convo].reverse().find((m) => m?.role === "user");
    if (!lastUser || typeof lastUser.content !== "string") {
      throw new DatasetError("DATA_MALFORMED", `${where}: "messages" has no user turn to prompt with`);
    }
    return { instruction: lastUser.content, messages: convo };
  }
  throw new DatasetError("DATA_MALFORMED", `${where}: needs "instruction" (string) or "messages" (array)`, {
    suggestion: 'prompts are JSONL of {"instruction": ...}, messages JSONL, or an AlpacaEval JSON array',
  });
}

/** Reads prompts: JSONL of {"instruction"}, open-instruct messages JSONL, or an AlpacaEval JSON array. */
export async function readPrompts(path: string): Promise<PromptRecord[]> {
  let text: string;
  try {
    text = stripBom(await readFile(path, "utf8"));
  } catch (e) {
    throw new DatasetError("DATA_NOT_FOUND", `cannot read ${path}: ${(e as Error).message}`);
  }
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[")) {
    let arr: unknown;
    try {
      arr = JSON.parse(text);
    } catch (e) {
      throw new DatasetError("DATA_MALFORMED", `${path}: not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(arr)) throw new DatasetError("DATA_MALFORMED", `${path}: expected a JSON array`);
    return arr.map((v, i) => fromObject(v, `${path}: item ${i}`));
  }
  const out: PromptRecord[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new DatasetError("DATA_MALFORMED", `${path}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    out.push(fromObject(v, `${path}:${i + 1}`));
  });
  return out;
}

/** `k/n`: the k-th of n contiguous, nearly equal parts (1-based), so concatenating parts keeps input order. */
export function parseShard(spec: string): { k: number; n: number } {
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  const k = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || k < 1 || k > n) {
    throw new DatasetError("INVALID_OPTION", `--shard ${spec}: expected k/n with 1 <= k <= n, e.g. 2/4`);
  }
  return { k, n };
}

export function shardSlice<T>(items: T[], shard: { k: number; n: number }): T[] {
  const start = Math.floor(((shard.k - 1) * items.length) / shard.n);
  const end = Math.floor((shard.k * items.length) / shard.n);
  return items.slice(start, end);
}
