import { InvalidOptionError } from "../errors.js";

/** Prints one JSON object on stdout: the only thing --json commands write there. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

export function intOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidOptionError("INVALID_OPTION", `${name} expects an integer, got "${v}"`);
    return n;
  };
}

export function floatOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InvalidOptionError("INVALID_OPTION", `${name} expects a number, got "${v}"`);
    return n;
  };
}

export function collect<T>(parse: (v: string) => T) {
  return (v: string, prev: T[] = []): T[] => [...prev, parse(v)];
}

/**
 * An AbortSignal fired by the first Ctrl-C; a second Ctrl-C exits at once. SIGTERM (kill, scancel, a Slurm
 * time limit) aborts the same way, so work in progress is saved before the scheduler's SIGKILL.
 */
export function interruptSignal(): AbortSignal {
  const ac = new AbortController();
  process.once("SIGINT", () => {
    process.stderr.write("\ninterrupted: finishing what is running and saving; Ctrl-C again to quit now\n");
    ac.abort();
    process.once("SIGINT", () => process.exit(130));
  });
  process.once("SIGTERM", () => {
    process.stderr.write("\nterminated: saving what is running\n");
    ac.abort();
  });
  return ac.signal;
}
