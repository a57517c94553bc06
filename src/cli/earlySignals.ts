// Imported first by main.ts: a SIGINT/SIGTERM that arrives while the CLI is still importing its modules
// (about half a second) or loading a model is held here instead of killing the process with 143, so a
// command that promises to save and exit 130 keeps that promise from its first moment.
import type { Command } from "commander";

const interruptible = new WeakSet<Command>();
let pending: NodeJS.Signals | undefined;
const hold = (sig: NodeJS.Signals) => {
  pending ??= sig;
};
process.on("SIGINT", hold).on("SIGTERM", hold);

/** Marks a command whose action calls interruptSignal() first thing: an early signal waits for it. */
export function handlesInterrupts<T extends Command>(cmd: T): T {
  interruptible.add(cmd);
  return cmd;
}

/**
 * Called before every action. A command that handles no interrupts gets the default behaviour back
 * (a signal held so far is re-raised: the process dies of it, as it would have without this module).
 */
export function beforeAction(cmd: Command): void {
  if (interruptible.has(cmd)) return;
  releaseEarlySignals();
  if (pending) process.kill(process.pid, pending);
}

/** Stops holding signals; returns the one that arrived meanwhile, if any (interruptSignal() takes it over). */
export function releaseEarlySignals(): NodeJS.Signals | undefined {
  process.off("SIGINT", hold).off("SIGTERM", hold);
  return pending;
}
