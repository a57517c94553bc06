import { InvalidOptionError } from "../errors.js";
import { checkSeed } from "../util/seed.js";
import { releaseEarlySignals } from "./earlySignals.js";
import { checkFloat32, checkInt, type Range } from "../util/numbers.js";

/** Prints one JSON object on stdout: the only thing --json commands write there. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** An integer option, checked against `range` (default: the 32-bit range native code takes). */
export function intOption(name: string, range: Range = {}) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isInteger(n))
      throw new InvalidOptionError("INVALID_OPTION", `${name} expects an integer, got "${v}"`);
    return checkInt(n, name, range);
  };
}

/** A seed as the user typed it: decimal digits only (1e9 and 0x10 are typos here), then checkSeed's range. */
export function seedOption(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v.trim()))
      throw new InvalidOptionError(
        "INVALID_OPTION",
        `${name} ${v} is not a seed: seeds are positive 32-bit integers written in decimal digits`,
      );
    return checkSeed(Number(v), name);
  };
}

/** A number option: finite and within a 32-bit float (what native code takes), and in `range`. */
export function floatOption(name: string, range: Range = {}) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === "" || Number.isNaN(n))
      throw new InvalidOptionError("INVALID_OPTION", `${name} expects a number, got "${v}"`);
    return checkFloat32(n, name, range);
  };
}

export function collect<T>(parse: (v: string) => T) {
  return (v: string, prev: T[] = []): T[] => [...prev, parse(v)];
}

/**
 * An AbortSignal fired by the first Ctrl-C or SIGTERM (what `kill`, timeouts and schedulers send): the
 * command finishes what is running, saves and exits 130. A second signal exits at once.
 */
export function interruptSignal(): AbortSignal {
  const ac = new AbortController();
  const first = (sig: NodeJS.Signals) => {
    process.off("SIGINT", first).off("SIGTERM", first);
    process.stderr.write(`\ninterrupted (${sig}): finishing what is running and saving; Ctrl-C again to quit now\n`);
    ac.abort();
    process.once("SIGINT", () => process.exit(130)).once("SIGTERM", () => process.exit(130));
  };
  process.on("SIGINT", first).on("SIGTERM", first);
  const early = releaseEarlySignals(); // one that arrived while the CLI was starting
  if (early) first(early);
  return ac.signal;
}
