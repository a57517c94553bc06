import { readOutputs, type OutputRecord } from "../../generation/outputs.js";

/** Summary statistics of one list of numbers. */
export interface Distribution {
  n: number;
  mean: number | null;
  median: number | null;
  min: number | null;
  max: number | null;
  p10: number | null;
  p90: number | null;
}

/** Response lengths and how generation stopped, for one arm (over all its output files). */
export interface ArmLengths {
  arm: string;
  files: string[];
  responses: number;
  chars: Distribution;
  /** From each row's `n_tokens`, else counted with `countTokens` when given (else the row is left out). */
  tokens: Distribution;
  /** Fraction of responses that ended with end-of-sequence. */
  eos_rate: number | null;
  /** Counts by `stop_reason` (`unknown` when a row has none). */
  stop_reasons: Record<string, number>;
  /** Every response length in characters (for plots). */
  char_lengths: number[];
}

export interface LengthsResult {
  arms: ArmLengths[];
}

function quantile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function distribution(xs: number[]): Distribution {
  const s = [...xs].sort((a, b) => a - b);
  return {
    n: s.length,
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : null,
    median: quantile(s, 0.5),
    min: s.length ? s[0] : null,
    max: s.length ? s[s.length - 1] : null,
    p10: quantile(s, 0.1),
    p90: quantile(s, 0.9),
  };
}

const codePoints = (s: string) => [...s].length;

/** Lengths of one arm's responses (rows of AlpacaEval model_outputs with our n_tokens/stop_reason). */
export function lengthsOf(
  arm: string,
  rows: OutputRecord[],
  files: string[] = [],
  countTokens?: (text: string) => number,
): ArmLengths {
  const chars = rows.map((r) => codePoints(r.output));
  const tokens = rows.flatMap((r) =>
    typeof r.n_tokens === "number" ? [r.n_tokens] : countTokens ? [countTokens(r.output)] : [],
  );
  const stop_reasons: Record<string, number> = {};
  for (const r of rows) {
    const k = typeof r.stop_reason === "string" ? r.stop_reason : "unknown";
    stop_reasons[k] = (stop_reasons[k] ?? 0) + 1;
  }
  const known = rows.filter((r) => typeof r.stop_reason === "string").length;
  return {
    arm,
    files,
    responses: rows.length,
    chars: distribution(chars),
    tokens: distribution(tokens),
    eos_rate: known ? (stop_reasons.eos ?? 0) / known : null,
    stop_reasons,
    char_lengths: chars,
  };
}

/** `iit analyze lengths`: per arm, response lengths (chars, tokens), EOS rate and stop reasons. */
export async function analyzeLengths(
  arms: { arm: string; files: string[] }[],
  opts: { countTokens?: (text: string) => number } = {},
): Promise<LengthsResult> {
  const out: ArmLengths[] = [];
  for (const a of arms) {
    const rows: OutputRecord[] = [];
    for (const f of a.files) rows.push(...(await readOutputs(f)));
    out.push(lengthsOf(a.arm, rows, a.files, opts.countTokens));
  }
  return { arms: out };
}
