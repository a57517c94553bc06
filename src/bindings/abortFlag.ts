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
 * does the process exiting. Throws AbortError at once if the signal already fired.
 */
export async function withAbortFlag<T>(signal: AbortSignal | undefined, fn: (flag: Int32Array) => Promise<T>): Promise<T> {
  if (signal?.aborted) throw new AbortError();
  const flag = new Int32Array(1);
  const onAbort = () => Atomics.store(flag, 0, 1);
  signal?.addEventListener("abort", onAbort, { once: true });
  live.add(flag);
  try {
    return await fn(flag);
  } finally {
    live.delete(flag);
    signal?.removeEventListener("abort", onAbort);
  }
}
