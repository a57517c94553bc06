// A dozen real AlpacaEval pairs (alpaca-7b vs text_davinci_003), short enough for stories260K's 2048-token context.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sharedDir } from "../../../helpers/fixtures.js";

const dataDir = join(sharedDir, "data", "alpaca_eval");
export const hasAlpacaEval = existsSync(join(dataDir, "alpaca-7b.model_outputs.json"));

interface Row {
  instruction: string;
  output: string;
  generator: string;
  dataset?: string;
}

/**
 * Writes model.json (12 real pairs + 1 whose output equals the reference's, to exercise the
 * identical = 1.5 rule) and reference.json (plus one instruction the model lacks).
 */
export function writeRealPairs(dir: string): { outputs: string; reference: string; instructions: string[] } {
  const read = (f: string) => JSON.parse(readFileSync(join(dataDir, f), "utf8")) as Row[];
  const model = read("alpaca-7b.model_outputs.json");
  const ref = new Map(read("text_davinci_003.model_outputs.json").map((r) => [r.instruction, r]));
  const short = model.filter((m) => {
    const r = ref.get(m.instruction);
    return r && m.output !== r.output && m.instruction.length + m.output.length + r.output.length < 900;
  });
  const chosen = short.slice(0, 12);
  const same = short[12];
  const modelRows = [...chosen, { ...same, output: ref.get(same.instruction)!.output }];
  const refRows = [...modelRows.map((m) => ref.get(m.instruction)!), ref.get(short[13].instruction)!];
  const outputs = join(dir, "alpaca-7b.json");
  const reference = join(dir, "text_davinci_003.json");
  writeFileSync(outputs, JSON.stringify(modelRows, null, 1));
  writeFileSync(reference, JSON.stringify(refRows, null, 1));
  return { outputs, reference, instructions: modelRows.map((m) => m.instruction) };
}
