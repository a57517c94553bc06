// How output rows are matched to prompts. An instruction can appear more than once (AlpacaEval's own set
// repeats a few): the k-th prompt with an instruction owns the k-th row with it, so two rows for one
// instruction stay two rows through a resume or a merge, and the text alone never merges them.

/** The key of the `occurrence`-th (0-based) row or prompt with this instruction. */
export const rowKey = (instruction: string, occurrence: number): string => `${occurrence}\u0000${instruction}`;

/** Numbers items by instruction in the order they come (the first "Lily" 0, the second 1, ...). */
export class Occurrences {
  private readonly count = new Map<string, number>();

  /** The occurrence of the next item with this instruction; `at` claims a known one instead (a journal row says which). */
  next(instruction: string, at?: number): number {
    const n = this.count.get(instruction) ?? 0;
    const k = at ?? n;
    this.count.set(instruction, Math.max(n, k + 1));
    return k;
  }
}

/** The key of each item, in order. */
export function rowKeys(items: { instruction: string }[]): string[] {
  const o = new Occurrences();
  return items.map((x) => rowKey(x.instruction, o.next(x.instruction)));
}
