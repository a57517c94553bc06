// How many CPU threads an operation runs on, and how ggml's idle threads wait: the one place for both.
//
// ggml's threads meet at a barrier after every operation of a graph and spin there. When an operation
// takes microseconds (a model of a few million parameters) that meeting is the whole cost, and when
// another process holds one of the cores, the thread that is descheduled makes the others spin for a
// scheduler slice at every barrier: 2 threads ran lab-base's 350-prompt generation 17× slower than 1
// (issue 26). On the same 2 cores when they are quiet, 2 threads run it 1.5× faster. So the default
// starts each context at the count its work pays for (chooseThreads) and lets the native side move each
// decode's count within [1, cores] by the decode times it measures (native/src/threading/thread-tuner.h);
// an explicit count always wins and never moves.
import { availableParallelism } from "node:os";
import { InvalidOptionError } from "../errors.js";

/**
 * Parameter-tokens of one decode (parameters × tokens in its batch) that earn one more thread: about
 * 1 GFLOP, tens of milliseconds on one core, so each operation runs long enough for a barrier (and a
 * descheduled peer) to cost little. Tiny models (stories260K, the lab's base) stay at 1 thread for
 * every operation; a 1.1 B model gets 2 threads at one token per decode, a 7 B model every core.
 */
export const WORK_PER_THREAD = 512 * 2 ** 20;

/**
 * ggml's threadpool polling level (0..100) for threads waiting for the next graph. ggml's own default
 * (50) spins up to ~6.5 M pause instructions before sleeping, taking a shared core from other work; 0
 * sleeps at once. Threads still spin at the barriers inside a graph: this does not change results.
 */
export const DEFAULT_POLL = 0;

export interface ThreadWork {
  /** An explicit count (--threads): used as is, after checking it against the cores. */
  requested?: number;
  /** The model's parameter count. */
  nParams: number;
  /**
   * Tokens one decode evaluates (its batch). A training window counts once: its backward operations
   * are as large as its forward ones, only more of them, and it is the size of one that matters.
   */
  tokensPerDecode: number;
  /** Defaults to os.availableParallelism(). */
  cores?: number;
}

/** The thread count for an operation: the explicit one, else one thread per WORK_PER_THREAD, between 1 and the cores. */
export function chooseThreads(w: ThreadWork): number {
  const cores = w.cores ?? availableParallelism();
  if (w.requested !== undefined) return checkThreads(w.requested, cores);
  const byWork = Math.floor((w.nParams * w.tokensPerDecode) / WORK_PER_THREAD);
  return Math.max(1, Math.min(cores, byWork));
}

/** The most threads an adapting context may move to: the cores. */
export function adaptiveMaxThreads(cores = availableParallelism()): number {
  return cores;
}

/** An explicit thread count checked against the cores: oversubscribed ggml spin-barriers collapse. */
export function checkThreads(threads: number, cores = availableParallelism()): number {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new InvalidOptionError("INVALID_OPTION", `threads must be a positive integer, got ${threads}`);
  }
  if (threads > cores) {
    throw new InvalidOptionError("INVALID_OPTION", `threads = ${threads} exceeds the ${cores} cores of this machine`, {
      suggestion: `use --threads ${cores} or fewer: more threads than cores makes llama.cpp much slower`,
    });
  }
  return threads;
}

/** The polling level, DEFAULT_POLL when unset. */
export function resolvePoll(poll: number | undefined): number {
  if (poll === undefined) return DEFAULT_POLL;
  if (!Number.isInteger(poll) || poll < 0 || poll > 100) {
    throw new InvalidOptionError("INVALID_OPTION", `poll must be an integer in 0..100, got ${poll}`, {
      suggestion:
        "use --poll 0 (idle threads sleep at once) up to --poll 100 (they spin longest); llama.cpp's tools use 50",
    });
  }
  return poll;
}
