import { basename } from "node:path";
import { type OutputRecord, readGenerations } from "../../generation/outputs.js";

/** One instruction with the reference's output (output_1) and the model's (output_2). */
export interface Pair {
  instruction: string;
  output_1: string;
  generator_1: string;
  output_2: string;
  generator_2: string;
  dataset?: string;
}

export interface Pairing {
  pairs: Pair[];
  /** Instructions only in the model outputs, only in the reference, and repeated ones (first kept). */
  unmatched: { model_only: string[]; reference_only: string[]; duplicates: string[] };
}

const nameOf = (path: string) => basename(path).replace(/(\.model_outputs)?\.json$/i, "");

/** Pairs model outputs with reference outputs by exact instruction, in the model outputs' order. */
export function pairByInstruction(
  model: OutputRecord[],
  reference: OutputRecord[],
  names: { model: string; reference: string },
): Pairing {
  const refs = new Map<string, OutputRecord>();
  const duplicates = new Set<string>();
  for (const r of reference) {
    if (refs.has(r.instruction)) duplicates.add(r.instruction);
    else refs.set(r.instruction, r);
  }
  const used = new Set<string>();
  const pairs: Pair[] = [];
  const model_only: string[] = [];
  for (const m of model) {
    const ref = refs.get(m.instruction);
    if (!ref) {
      model_only.push(m.instruction);
      continue;
    }
    if (used.has(m.instruction)) {
      duplicates.add(m.instruction);
      continue;
    }
    used.add(m.instruction);
    const dataset = m.dataset ?? ref.dataset;
    pairs.push({
      instruction: m.instruction,
      output_1: ref.output,
      generator_1: typeof ref.generator === "string" && ref.generator ? ref.generator : names.reference,
      output_2: m.output,
      generator_2: typeof m.generator === "string" && m.generator ? m.generator : names.model,
      ...(dataset === undefined ? {} : { dataset }),
    });
  }
  const reference_only = [...refs.keys()].filter((i) => !used.has(i));
  return { pairs, unmatched: { model_only, reference_only, duplicates: [...duplicates] } };
}

/** Reads both files and pairs them; generator names default to the file names. */
export async function pairFiles(outputs: string, reference: string): Promise<Pairing> {
  const [m, r] = await Promise.all([
    readGenerations(outputs, "model outputs"),
    readGenerations(reference, "reference outputs"),
  ]);
  return pairByInstruction(m, r, { model: nameOf(outputs), reference: nameOf(reference) });
}
