import { AbortError } from "../errors.js";

/** Flags of native calls in progress. */
const live = new Set<Int32Array>();
// process.exit() joins the threads running native work: without this, it would wait for a long
// generation to end. 'exit' fires before that join, so every running loop stops at its next token.
process.on("exit", () => {
  for (const f of live) Atomics.store(f, 0, 1);
});

/**
 * Runs a native call with a shared Int32Array that native loops poll; an AbortSignal sets it, and so
 * does the process exiting. Throws AbortError at once if the signal already fired. With `parts`, flag
 * 1 + i is set by `parts[i]` alone (generation drops that prompt and goes on with the others).
 */
export async function withAbortFlag<T>(
  signal: AbortSignal | undefined,
  fn: (flag: Int32Array) => Promise<T>,
  parts: (AbortSignal | undefined)[] = [],
): Promise<T> {
  if (signal?.aborted) throw new AbortError();
  const flag = new Int32Array(1 + parts.length);
  const listeners: [AbortSignal, () => void][] = [];
  const listen = (s: AbortSignal | undefined, i: number) => {
    if (!s) return;
    const on = () => Atomics.store(flag, i, 1);
    if (s.aborted) on();
    else s.addEventListener("abort", on, { once: true });
    listeners.push([s, on]);
  };
  listen(signal, 0);
  for (const [i, s] of parts.entries()) listen(s, 1 + i);
  live.add(flag);
  try {
    return await fn(flag);
  } finally {
    live.delete(flag);
    for (const [s, on] of listeners) s.removeEventListener("abort", on);
  }
}
