// Writes a copy of a real GGUF with some metadata changed or added, or its weights overwritten: the
// hostile files that the header check must refuse before llama.cpp sees them.
import { readFileSync, writeFileSync } from "node:fs";

export type GgufScalar = { u32: number } | { i32: number } | { f32: number } | { str: string };

const TYPE = { u32: 4, i32: 5, f32: 6, str: 8 } as const;
/** Byte size of the fixed-size GGUF value types (uint8 … float64), by type id. */
const FIXED: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

function encodeKv(key: string, v: GgufScalar): Buffer {
  const k = Buffer.from(key, "utf8");
  const head = Buffer.alloc(8 + k.length + 4);
  head.writeBigUInt64LE(BigInt(k.length), 0);
  k.copy(head, 8);
  const [name, value] = Object.entries(v)[0] as [keyof typeof TYPE, number | string];
  head.writeUInt32LE(TYPE[name], 8 + k.length);
  if (name === "str") {
    const s = Buffer.from(value as string, "utf8");
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(s.length));
    return Buffer.concat([head, len, s]);
  }
  const b = Buffer.alloc(4);
  if (name === "u32") b.writeUInt32LE(value as number);
  else if (name === "i32") b.writeInt32LE(value as number);
  else b.writeFloatLE(value as number);
  return Buffer.concat([head, b]);
}

/**
 * Copies `src` to `dst`, setting each key of `set` (replaced in place, or added at the end of the
 * metadata), and with `fillWeights` writing that float32 value over every byte of tensor data.
 */
export function editGguf(
  src: string,
  dst: string,
  set: Record<string, GgufScalar>,
  opts: { fillWeights?: number } = {},
): void {
  const buf = readFileSync(src);
  let off = 8; // magic, version
  const nTensors = buf.readBigUInt64LE(off);
  const nKv = Number(buf.readBigUInt64LE(off + 8));
  off += 16;
  const str = () => {
    const n = Number(buf.readBigUInt64LE(off));
    const s = buf.toString("utf8", off + 8, off + 8 + n);
    off += 8 + n;
    return s;
  };
  const skip = (type: number) => {
    if (type === 8) str();
    else if (type === 9) {
      const et = buf.readUInt32LE(off);
      const n = Number(buf.readBigUInt64LE(off + 4));
      off += 12;
      for (let i = 0; i < n; i++) skip(et);
    } else off += FIXED[type];
  };
  const kvs: Buffer[] = [];
  const left = new Map(Object.entries(set));
  let alignment = 32;
  for (let i = 0; i < nKv; i++) {
    const start = off;
    const key = str();
    const type = buf.readUInt32LE(off);
    off += 4;
    if (key === "general.alignment") alignment = buf.readUInt32LE(off);
    skip(type);
    const v = left.get(key);
    left.delete(key);
    kvs.push(v ? encodeKv(key, v) : buf.subarray(start, off));
  }
  for (const [key, v] of left) kvs.push(encodeKv(key, v));
  const infoStart = off;
  for (let i = 0n; i < nTensors; i++) {
    str();
    const nDims = buf.readUInt32LE(off);
    off += 4 + 8 * nDims + 4 + 8;
  }
  const infos = buf.subarray(infoStart, off);
  const dataStart = Math.ceil(off / alignment) * alignment;
  const data = Buffer.from(buf.subarray(dataStart));
  if (opts.fillWeights !== undefined)
    for (let i = 0; i + 4 <= data.length; i += 4) data.writeFloatLE(opts.fillWeights, i);
  const header = Buffer.alloc(24);
  buf.copy(header, 0, 0, 16);
  header.writeBigUInt64LE(BigInt(kvs.length), 16);
  const meta = Buffer.concat([header, ...kvs, infos]);
  const pad = Buffer.alloc(Math.ceil(meta.length / alignment) * alignment - meta.length);
  writeFileSync(dst, Buffer.concat([meta, pad, data]));
}
