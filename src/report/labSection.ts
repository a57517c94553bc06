// The report's lab part: graded table, verdicts, strict scores, learning curves and graded samples.
import type { LabResults } from "../experiment/labResults.js";
import type { Finding } from "../lab/results.js";
import { intervalText, wtl } from "../lab/resultsMarkdown.js";
import { barChart, esc, lineChart, type LineSeries } from "./svg.js";

const n = (x: number | null | undefined, d = 2) =>
  x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d);

export function labPlots(lab: LabResults): Record<string, string> {
  const plots: Record<string, string> = {};
  plots.strict = barChart(
    lab.rows.map((r) => ({ label: r.arm, value: r.stats.strict.mean, error: r.stats.strict.std })),
    {
      title: "Strict score on held-out prompts (mean ± std over seeds)",
      axis: "strict (correct, stopped, clean)",
      min: 0,
      max: 1,
      refLine: { value: lab.chance, label: "chance" },
    },
  );
  Object.entries(lab.curves).forEach(([arm, seeds]) => {
    const series: LineSeries[] = seeds.flatMap((s, i) => [
      {
        label: `dev s${s.seed}${s.best_epochs === null ? "" : ` (chosen: ${s.best_epochs} epochs)`}`,
        points: s.points.map((p) => ({ x: p.epochs, y: p.dev.strict })),
        color: i,
      },
      {
        label: `eval s${s.seed}`,
        points: s.points.map((p) => ({ x: p.epochs, y: p.eval.strict })),
        color: i,
        dashed: true,
      },
    ]);
    plots[`curve-${arm}`] = lineChart(series, {
      title: `${arm}: strict score against training budget`,
      xAxis: "epochs",
      yAxis: "strict",
      yMin: 0,
      yMax: 1,
    });
  });
  return plots;
}

export function labSection(
  lab: LabResults,
  findings: Finding[],
  plots: Record<string, string>,
  reference: string,
): string {
  const groups = [...new Set(lab.rows.flatMap((r) => Object.keys(r.groups)))];
  const rows = lab.rows
    .map((r) => {
      const seeds = r.per_seed
        .map((p) => `s${p.seed ?? "–"}: ${n(p.strict)}${p.best_epochs === null ? "" : ` @${p.best_epochs} ep`}`)
        .join(", ");
      const wr =
        r.arm === reference
          ? "<em>reference</em>"
          : r.win_rate && Number.isFinite(r.win_rate.mean)
            ? `${n(r.win_rate.mean, 1)}${r.win_rate.std === null ? "" : ` ± ${n(r.win_rate.std, 1)}`}`
            : "–";
      return (
        `<tr><td>${esc(r.arm)}</td><td>${esc(r.kind)}</td><td class="num">${n(r.stats.strict.mean)}${r.stats.strict.std === null ? "" : ` ± ${n(r.stats.strict.std)}`}</td><td class="num">${esc(intervalText(r.strict_ci))}</td>` +
        ["correct", "stopped", "clean", "rightType", "namesEntity"]
          .map((k) => `<td class="num">${n(r.stats[k as "correct"].mean)}</td>`)
          .join("") +
        groups.map((g) => `<td class="num">${n(r.groups[g])}</td>`).join("") +
        `<td class="num">${wr}</td><td class="num">${r.arm === reference ? "" : esc(wtl(r))}</td><td class="muted">${esc(seeds)}</td></tr>`
      );
    })
    .join("\n");
  const verdicts = findings
    .map(
      (f) =>
        `<li class="${f.reproduced ? "ok" : "no"}"><strong>${esc(f.id)}: ${f.reproduced ? "reproduced" : "not reproduced"}</strong> — ${esc(f.verdict)}</li>`,
    )
    .join("\n");
  const curves = Object.keys(lab.curves)
    .map((arm) => plots[`curve-${arm}`])
    .join("\n");
  const arms = lab.rows.map((r) => r.arm);
  const samples = lab.samples
    .map((s, i) => {
      const cells = arms
        .filter((a) => s.outputs[a])
        .map(
          (a) =>
            `<div class="resp"><div class="arm">${esc(a)} <span class="tag">${s.outputs[a].strict ? "strict ✓" : "✗"}</span></div><pre>${esc(s.outputs[a].output)}</pre></div>`,
        )
        .join("");
      return `<details${i < 4 ? " open" : ""}><summary>${esc(s.instruction)} <span class="muted">${esc(s.task)}</span></summary><div class="grid">${cells}</div></details>`;
    })
    .join("\n");
  return `<section id="lab"><h2>The lab: findings</h2>
<ul id="findings">
${verdicts}
</ul>
${lab.checks?.length ? `<h3>The recipe's own targets</h3><ul id="lab-checks">${lab.checks.map((c) => `<li class="${c.pass ? "ok" : "no"}"><strong>${esc(c.id)}: ${c.pass ? "met" : "missed"}</strong> — ${esc(c.text)}</li>`).join("")}</ul>` : ""}
<table id="lab-results"><thead><tr><th>Arm</th><th>Type</th><th>Strict</th><th>Strict 95% CI</th><th>Correct</th><th>Stopped</th><th>Clean</th><th>Right type</th><th>Names it</th>${groups.map((g) => `<th>Strict ${esc(g)}</th>`).join("")}<th>Win rate vs ${esc(reference)} (%)</th><th>W / T / L</th><th>Per seed (strict @ chosen budget)</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p class="muted">Graded exactly against the world's facts on held-out creatures. Strict = correct ∧ stopped ∧ clean, its 95% interval bootstrapped over prompts and seeds; chance of a right-type guess ${n(lab.chance, 3)}. Win rate: the grader as judge (the better grade in the order strict, correct, clean, right type, stopped, names it; a tie only where all are equal), wins / ties / losses summed over seed pairs. Tuned arms keep the training budget (epochs) with the best dev score (creatures and phrasings never tuned on nor evaluated).</p>
${plots.strict}
</section>
<section id="curves"><h2>Learning curves</h2><p class="muted">Solid: dev prompts (they choose the budget); dashed: evaluation prompts (recorded only).</p>
${curves}
</section>
<section id="lab-samples"><h2>Graded samples</h2>
${samples}
</section>`;
}
