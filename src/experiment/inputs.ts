import { existsSync } from "node:fs";
import { ExperimentError } from "../errors.js";
import { dataNameFor } from "../data/fetch/sources.js";
import type { Step } from "./types.js";

/** Specs that are not local files: downloaded, served, or a preset name (plan.ts adds rule files only). */
const REMOTE = /^(hf:|https?:|openai:)/;

/** The input files of these steps that do not exist, as `step: role path`, in step order. */
export function missingInputs(steps: Step[]): { step: string; role: string; path: string }[] {
  return steps.flatMap((s) =>
    Object.entries(s.files)
      .filter(([, p]) => !REMOTE.test(p) && !existsSync(p))
      .map(([role, path]) => ({ step: s.id, role, path })),
  );
}

/**
 * Fails naming every missing input of the steps about to run (`run`) or be submitted (`submit`), before
 * the first one starts: not after an hour of training, not as a job that fails on the cluster.
 */
export function checkInputs(toRun: Step[], missing: ReturnType<typeof missingInputs>): void {
  const ids = new Set(toRun.map((s) => s.id));
  const absent = missing.filter((x) => ids.has(x.step));
  if (absent.length) {
    const paths = [...new Set(absent.map((x) => x.path))];
    throw new ExperimentError(
      "EXPERIMENT_INPUT_MISSING",
      `${paths.length} input file(s) do not exist: ${paths
        .map(
          (p) =>
            `${p} (${absent
              .filter((x) => x.path === p)
              .map((x) => `${x.step} ${x.role}`)
              .join(", ")})`,
        )
        .join("; ")}`,
      {
        suggestion: `fix the paths in the config (relative paths resolve against its directory); --dry-run marks them${dataHint(paths)}`,
      },
    );
  }
}

/** "; `iit data get lima gsm8k` downloads …" when some missing files are ones `iit data get` makes. */
function dataHint(paths: string[]): string {
  const names = [...new Set(paths.map(dataNameFor).filter((n) => n !== undefined))];
  return names.length
    ? `; \`iit data get ${names.join(" ")}\` downloads the paper's data into data/ (or IIT_DATA_DIR)`
    : "";
}
