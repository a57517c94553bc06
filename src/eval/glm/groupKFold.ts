/**
 * scikit-learn's GroupKFold fold assignment for the case AlpacaEval uses it in: every group (one
 * annotation row, duplicated as a label-1 and a label-0 sample) has the same size. GroupKFold visits
 * groups in `np.argsort(sizes)[::-1]` order and deals them round-robin to the lightest fold; with
 * equal sizes that order is whatever numpy's introsort makes of equal keys, reproduced here.
 * Returns the fold of each group.
 */
export function groupKFoldEqualSizes(nGroups: number, nSplits: number): Int32Array {
  const order = argsortEqualKeys(nGroups).reverse();
  const fold = new Int32Array(nGroups);
  for (const [k, group] of order.entries()) fold[group] = k % nSplits;
  return fold;
}

/**
 * numpy's `argsort(kind="quicksort")` of n equal keys (numpy 1.24 `aquicksort_`: median-of-3
 * partitioning down to 16-element runs, then insertion sort, which leaves equal keys in place).
 * With equal keys no comparison is ever true, so only the swaps of the partition step remain.
 * Checked against numpy 1.24.2 for every n < 4000.
 */
export function argsortEqualKeys(n: number): number[] {
  const v = Array.from({ length: n }, (_, i) => i);
  const swap = (a: number, b: number) => ([v[a], v[b]] = [v[b], v[a]]);
  const stack: [number, number][] = [];
  let pl = 0;
  let pr = n - 1;
  for (;;) {
    while (pr - pl > 15) {
      const pm = pl + ((pr - pl) >> 1);
      let pi = pl;
      let pj = pr - 1;
      swap(pm, pj);
      for (;;) {
        pi++;
        pj--;
        if (pi >= pj) break;
        swap(pi, pj);
      }
      swap(pi, pr - 1);
      // numpy pushes the larger partition and keeps sorting the smaller one
      if (pi - pl < pr - pi) {
        stack.push([pi + 1, pr]);
        pr = pi - 1;
      } else {
        stack.push([pl, pi - 1]);
        pl = pi + 1;
      }
    }
    const next = stack.pop();
    if (next === undefined) return v;
    [pl, pr] = next;
  }
}
