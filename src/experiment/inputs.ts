import { existsSync } from "node:fs";
import { ExperimentError } from "../errors.js";
import { LC_DATA_NAME } from "../eval/glm/gamedData.js";
import type { Step } from "./plan.js";

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
      `${paths.length} input file(s) do not exist: ${paths.map((p) => `${p} (${absent.filter((x) => x.path === p).map((x) => `${x.step} ${x.role}`).join(", ")})`).join("; ")}`,
      {
        suggestion: absent.some((x) => x.role === LC_DATA_NAME)
          ? `run \`iit data get ${LC_DATA_NAME}\` (evaluation.lengthControlled reads it from IIT_DATA_DIR, else the package's data/); fix other paths in the config`
          : "fix the paths in the config (relative paths resolve against its directory); --dry-run marks them",
      },
    );
  }
}
