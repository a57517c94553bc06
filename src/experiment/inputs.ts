import { existsSync } from "node:fs";
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
