import { AbortError } from "../errors.js";

/**
 * Runs a native call with a shared Int32Array that native loops poll; an AbortSignal sets it.
 * Throws AbortError at once if the signal already fired.
 */
export async function withAbortFlag<T>(signal: AbortSignal | undefined, fn: (flag: Int32Array) => Promise<T>): Promise<T> {
  if (signal?.aborted) throw new AbortError();
  const flag = new Int32Array(1);
  const onAbort = () => Atomics.store(flag, 0, 1);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await fn(flag);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
