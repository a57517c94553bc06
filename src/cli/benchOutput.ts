// How every `iit bench` command reports: progress on stderr, the result on stdout.
import { formatCpu, type BenchCpu } from "../bench/cpuInfo.js";
import { printJson } from "./util.js";

/** A bench's progress line (stderr, so stdout holds only its result). */
export const benchStatus = (m: string) => void process.stderr.write(`${m}\n`);

/** A bench's result: one JSON object with --json, else the CPU it ran on followed by `text(r)`. */
export function printBench<R extends { cpu: BenchCpu }>(r: R, json: boolean | undefined, text: (r: R) => string) {
  if (json) printJson(r);
  else process.stdout.write(formatCpu(r.cpu) + text(r));
}
