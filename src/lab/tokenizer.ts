// The lab's tokenizer: a SentencePiece-style ("llama") vocabulary built from the lab's own text and
// written as a vocab-only GGUF, so llama.cpp tokenizes lab text exactly as it tokenizes any model's.
//
// llama.cpp's SPM tokenizer starts from characters and merges adjacent pieces whose concatenation is
// a vocabulary entry. So every prefix of a word is an entry: merges grow each word from its left
// edge into one token. Creature names are two pieces (first syllable, second syllable), which keeps
// the vocabulary small whatever the number of creatures, and the same two pieces wherever a name stands
// (a space before a name is a token of its own), so the base can copy a name from a question into an
// answer that starts a line, as under the chat template (docs/lab.md, "The tokenizer"). All 256 byte
// tokens make any text tokenizable (newline is <0x0A>, as in Llama-2), so decode(encode(text)) == text.
import { writeFile } from "node:fs/promises";
import { writeAtomic } from "../util/atomicWrite.js";
import { CONSONANTS, VOWELS } from "./world.js";

const SPACE = "\u2581"; // ▁

export const SPECIAL = { unk: 0, bos: 1, eos: 2 } as const;
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;

export interface LabVocab {
  tokens: string[];
  scores: number[];
  types: number[];
}

const isName = (w: string) =>
  /^[A-Z][a-z][a-z][a-z]$/.test(w) && CONSONANTS.includes(w[0].toLowerCase()) && VOWELS.includes(w[1]);

/**
 * The pieces of a text as SPM sees it: words with their leading ▁ (when a space precedes them), and
 * names as their two syllables without it.
 */
export function textPieces(text: string): string[] {
  const out: string[] = [];
  const s = SPACE + text.replace(/ /g, SPACE);
  for (const m of s.matchAll(new RegExp(`${SPACE}?[A-Za-z]+`, "g"))) {
    const w = m[0];
    const bare = w.startsWith(SPACE) ? w.slice(1) : w;
    if (isName(bare)) out.push(bare.slice(0, 2), bare.slice(2));
    else out.push(w);
  }
  return out;
}

/**
 * Builds the vocabulary from the texts it must tokenize well: specials, bytes, printable ASCII, every
 * prefix of every piece. Scores rank longer entries first, so merges prefer whole words.
 */
export function buildVocab(texts: Iterable<string>, extraPieces: string[] = []): LabVocab {
  const pieces = new Set<string>(extraPieces);
  for (const t of texts) for (const p of textPieces(t)) pieces.add(p);
  // Every syllable in both positions, so any name of the world tokenizes the same way.
  for (const c of CONSONANTS) for (const v of VOWELS) pieces.add(c.toUpperCase() + v).add(c + v);
  const entries = new Set<string>();
  for (let i = 32; i < 127; i++) entries.add(String.fromCharCode(i) === " " ? SPACE : String.fromCharCode(i));
  for (const p of [...pieces].sort()) for (let k = 2; k <= p.length; k++) entries.add(p.slice(0, k));
  // No entry may join a space to a name's first letter, or "▁Lita" would start "▁L".
  const nameStart = new RegExp(`^${SPACE}[${CONSONANTS.join("").toUpperCase()}]`);
  for (const e of entries) if (nameStart.test(e)) entries.delete(e);
  const tokens = ["<unk>", "<s>", "</s>"];
  const types: number[] = [TOKEN_TYPE.unknown, TOKEN_TYPE.control, TOKEN_TYPE.control];
  const scores = [0, 0, 0];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(TOKEN_TYPE.byte);
    scores.push(0);
  }
  for (const e of [...entries].sort((a, b) => a.length - b.length || (a < b ? -1 : 1))) {
    tokens.push(e);
    types.push(TOKEN_TYPE.normal);
    scores.push(e.length);
  }
  return { tokens, scores, types };
}

// --- a minimal GGUF v3 writer (metadata only: a vocab file has no tensors) ---

const GGUF = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10 } as const;
type KV =
  | [string, "u32" | "bool" | "string", number | boolean | string]
  | [string, "array", "string" | "f32" | "i32", (string | number)[]];

function encodeGguf(kvs: KV[]): Buffer {
  const parts: Buffer[] = [];
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    parts.push(b);
  };
  const u64 = (v: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    parts.push(b);
  };
  const str = (s: string) => {
    const b = Buffer.from(s, "utf8");
    u64(b.length);
    parts.push(b);
  };
  const value = (type: string, v: string | number | boolean) => {
    if (type === "string") str(v as string);
    else if (type === "u32") u32(v as number);
    else if (type === "i32") {
      const b = Buffer.alloc(4);
      b.writeInt32LE(v as number);
      parts.push(b);
    } else if (type === "f32") {
      const b = Buffer.alloc(4);
      b.writeFloatLE(v as number);
      parts.push(b);
    } else if (type === "bool") parts.push(Buffer.from([v ? 1 : 0]));
  };
  parts.push(Buffer.from("GGUF", "ascii"));
  u32(3);
  u64(0); // tensors
  u64(kvs.length);
  for (const kv of kvs) {
    str(kv[0]);
    if (kv[1] === "array") {
      u32(GGUF.array);
      u32(GGUF[kv[2]]);
      u64(kv[3].length);
      for (const v of kv[3]) value(kv[2], v);
    } else {
      u32(GGUF[kv[1]]);
      value(kv[1], kv[2]);
    }
  }
  return Buffer.concat(parts);
}

/** Writes a vocab-only GGUF (`iit make-model --vocab FILE` copies its tokenizer into a model). */
export async function writeVocabGguf(path: string, v: LabVocab, name: string): Promise<void> {
  await writeAtomic(path, (tmp) =>
    writeFile(
      tmp,
      encodeGguf([
        ["general.architecture", "string", "llama"],
        ["general.name", "string", name],
        ["tokenizer.ggml.model", "string", "llama"],
        ["tokenizer.ggml.tokens", "array", "string", v.tokens],
        ["tokenizer.ggml.scores", "array", "f32", v.scores],
        ["tokenizer.ggml.token_type", "array", "i32", v.types],
        ["tokenizer.ggml.bos_token_id", "u32", SPECIAL.bos],
        ["tokenizer.ggml.eos_token_id", "u32", SPECIAL.eos],
        ["tokenizer.ggml.unknown_token_id", "u32", SPECIAL.unk],
        ["tokenizer.ggml.padding_token_id", "u32", SPECIAL.eos],
        ["tokenizer.ggml.add_bos_token", "bool", true],
        ["tokenizer.ggml.add_eos_token", "bool", false],
      ]),
    ),
  );
}
