// The lab recipe's own targets (not findings of the paper): a strong instruction-tuned reference, and
// tuned arms whose dev curves plateau rather than peak and collapse.
import { fix } from "./criteria.js";
import type { LabArmInput, LabRow } from "./results.js";

/** Targets of the lab's own recipe (not findings of the paper): a strong reference and tuning that plateaus. */
export const LAB_CHECKS = { reference_strict: 0.85, plateau_within: 0.05 } as const;

export interface LabCheck {
  id: "reference-strength" | "plateau";
  pass: boolean;
  text: string;
}

/**
 * The recipe's checks: the instruction-tuned arm's eval strict (mean over seeds, compared at the printed 2
 * digits) reaches LAB_CHECKS.reference_strict; and each instruction- and response-tuned seed's dev strict at
 * the largest budget is within LAB_CHECKS.plateau_within of its best budget (tuning that does not collapse).
 */
export function labChecks(rows: LabRow[], arms: LabArmInput[]): LabCheck[] {
  const out: LabCheck[] = [];
  const ref = rows.find((r) => r.role === "instruction");
  if (ref) {
    const m = Number(ref.stats.strict.mean.toFixed(2));
    const pass = m >= LAB_CHECKS.reference_strict;
    out.push({
      id: "reference-strength",
      pass,
      text: `${ref.arm} eval strict ${fix(m, 2)} ${pass ? "≥" : "<"} ${fix(LAB_CHECKS.reference_strict, 2)}`,
    });
  }
  for (const a of arms.filter((x) => x.role === "instruction" || x.role === "response")) {
    const parts = a.seeds
      .filter((s) => s.curve?.length)
      .map((s) => {
        const devs = s.curve!.map((p) => Number(p.dev.strict.toFixed(2)));
        const best = Math.max(...devs);
        const last = devs.at(-1)!;
        return { seed: s.seed, best, last, pass: best - last <= LAB_CHECKS.plateau_within + 1e-9 };
      });
    if (!parts.length) continue;
    const pass = parts.every((p) => p.pass);
    out.push({
      id: "plateau",
      pass,
      text: `${a.arm} dev strict at the largest budget vs its best: ${parts.map((p) => `s${p.seed} ${fix(p.last, 2)} vs ${fix(p.best, 2)}`).join(", ")} (${pass ? "every seed within" : "not every seed within"} ${fix(LAB_CHECKS.plateau_within, 2)})`,
    });
  }
  return out;
}
