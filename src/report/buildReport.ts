import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ExperimentError } from "../errors.js";
import type { SimilarityResult } from "../eval/analyses/similarity.js";
import { hasLengthControlled, resultsCsv } from "../experiment/aggregate.js";
import type { ExperimentResults } from "../experiment/runExperiment.js";
import { writeTextAtomic } from "../util/atomicWrite.js";
import { readOutputs, type OutputRecord } from "../generation/outputs.js";
import { barChart, boxPlot, esc, scatter } from "./svg.js";
import { labPlots, labSection } from "./labSection.js";

export interface ReportOptions {
  /** Where report.html and plots/ go. Defaults to the experiment directory. */
  output?: string;
  /** Similarity analyses (`iit analyze similarity -o FILE`) to plot; `<dir>/analyses/similarity*.json` are added. */
  similarity?: string[];
  /** Instructions shown side by side with every arm's response. Defaults to `12`. */
  examples?: number;
}

export interface ReportResult {
  html: string;
  plots: string[];
  arms: string[];
}

const n = (x: number | null | undefined, d: number) =>
  x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d);

/**
 * `iit report`: one self-contained HTML file (inline CSS and SVG, no scripts, nothing fetched) with
 * the results table, win rates with error bars, length distributions, the similarity scatter and
 * side-by-side responses; the plots are also written as separate SVG files.
 */
export async function buildReport(dir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const resultsPath = join(dir, "results.json");
  if (!existsSync(resultsPath)) {
    throw new ExperimentError("REPORT_NO_RESULTS", `${resultsPath} not found`, {
      suggestion: "run `iit experiment run CONFIG` (or `collect`) first",
    });
  }
  const r = JSON.parse(readFileSync(resultsPath, "utf8")) as ExperimentResults;
  const out = opts.output ?? dir;
  const t = r.table;
  const arms = t.rows.map((row) => row.arm);

  const plots: Record<string, string> = {};
  plots.winrate = barChart(
    t.rows
      .filter((row) => !row.reference)
      .map((row) => ({ label: row.arm, value: row.win_rate_mean, error: row.win_rate_std, note: "not judged yet" })),
    {
      title: `Win rate against ${t.reference} (mean ± std over seeds)`,
      axis: "win rate (%)",
      min: 0,
      max: 100,
      refLine: { value: 50, label: `as good as ${t.reference}` },
    },
  );
  const lc = hasLengthControlled(t);
  if (lc) {
    plots.lcWinrate = barChart(
      t.rows
        .filter((row) => !row.reference)
        .map((row) => ({
          label: row.arm,
          value: row.lc_win_rate_mean ?? null,
          error: row.lc_win_rate_std ?? null,
          note: "not judged yet",
        })),
      {
        title: `Length-controlled win rate against ${t.reference} (AlpacaEval 2)`,
        axis: "LC win rate (%)",
        min: 0,
        max: 100,
        refLine: { value: 50, label: `as good as ${t.reference}` },
      },
    );
  }
  plots.lengths = boxPlot(
    r.lengths.arms.map((a) => ({ label: a.arm, values: a.char_lengths })),
    { title: "Response lengths", axis: "characters per response" },
  );
  if (r.lab) Object.assign(plots, labPlots(r.lab));
  // Lab experiments without a judge have no win-rate table: the grader's table replaces it.
  const judged = !r.lab || t.rows.some((row) => row.per_seed.length > 0);
  if (!judged) {
    delete plots.winrate;
    delete plots.lcWinrate;
  }
  const simFiles = [...(r.similarity ?? []).map((s) => join(dir, s.path)), ...(opts.similarity ?? [])];
  const anDir = join(dir, "analyses");
  if (existsSync(anDir))
    for (const f of readdirSync(anDir).sort()) if (/^similarity.*\.json$/.test(f)) simFiles.push(join(anDir, f));
  const sims = simFiles.map((f) => ({ file: f, r: JSON.parse(readFileSync(f, "utf8")) as SimilarityResult }));
  if (sims.length) {
    plots.similarity = scatter(
      sims.map((s) => ({
        label: simLabel(s.file, r, dir),
        points: s.r.points.map((p) => ({ x: p.x, y: p.y, title: p.instruction.slice(0, 120) })),
      })),
      {
        title: "Similarity to the task (paper Fig. 5)",
        xAxis: "instruction ~ task instructions (mean cosine)",
        yAxis: "response ~ task − ~ general responses",
      },
    );
  }
  const plotFiles: string[] = [];
  for (const [name, svg] of Object.entries(plots)) {
    const p = join(out, "plots", `${name}.svg`);
    await writeTextAtomic(p, svg);
    plotFiles.push(p);
  }

  // Side by side: the first instructions, each arm's response (its first generation file).
  const firstGen: Record<string, OutputRecord[]> = {};
  for (const [arm, gens] of Object.entries(r.generations))
    firstGen[arm] = gens.length ? await readOutputs(join(dir, gens[0].path)) : [];
  const instructions = (
    firstGen[t.reference]?.length ? firstGen[t.reference] : (Object.values(firstGen).find((g) => g.length) ?? [])
  ).slice(0, opts.examples ?? 12);
  const examples = instructions
    .map((ins, i) => {
      const cells = arms
        .map((arm) => {
          const row = firstGen[arm]?.find((x) => x.instruction === ins.instruction);
          const seed = r.generations[arm]?.[0]?.seed;
          return `<div class="resp"><div class="arm">${esc(arm)}${seed === null || seed === undefined ? "" : ` <span class="muted">seed ${seed}</span>`}${row?.stop_reason ? ` <span class="tag">${esc(String(row.stop_reason))}</span>` : ""}</div><pre>${esc(row?.output ?? "(none)")}</pre></div>`;
        })
        .join("");
      return `<details${i < 3 ? " open" : ""}><summary>${esc(ins.instruction)}</summary><div class="grid">${cells}</div></details>`;
    })
    .join("\n");

  const tableRows = t.rows
    .map((row) => {
      const rate = (m: number | null | undefined, sd: number | null | undefined) =>
        row.reference ? "<em>reference</em>" : `${n(m, 1)}${sd === null || sd === undefined ? "" : ` ± ${n(sd, 2)}`}`;
      const seeds = row.per_seed
        .map(
          (p) =>
            `s${p.seed}: ${n(p.win_rate, 1)}${lc && p.length_controlled_winrate !== undefined ? ` (LC ${n(p.length_controlled_winrate, 1)})` : ""}`,
        )
        .join(", ");
      const lcCells = lc
        ? `<td class="num">${rate(row.lc_win_rate_mean, row.lc_win_rate_std)}</td><td class="num">${n(row.lc_standard_error_mean, 2)}</td>`
        : "";
      return `<tr><td>${esc(row.arm)}</td><td>${esc(row.kind)}</td><td class="num">${rate(row.win_rate_mean, row.win_rate_std)}</td><td class="num">${n(row.standard_error_mean, 2)}</td>${lcCells}<td class="num">${n(row.avg_length_mean, 0)}</td><td>${row.seeds.length}${row.missing.length ? ` <span class="tag">${row.missing.length} missing</span>` : ""}</td><td class="muted">${esc(seeds)}</td></tr>`;
    })
    .join("\n");
  const lengthRows = r.lengths.arms
    .map(
      (a) =>
        `<tr><td>${esc(a.arm)}</td><td class="num">${a.responses}</td><td class="num">${n(a.chars.mean, 0)}</td><td class="num">${n(a.chars.median, 0)}</td><td class="num">${n(a.tokens.mean, 1)}</td><td class="num">${a.eos_rate === null ? "–" : `${(100 * a.eos_rate).toFixed(1)}%`}</td><td>${esc(
          Object.entries(a.stop_reasons)
            .map(([k, v]) => `${k} ${v}`)
            .join(", "),
        )}</td></tr>`,
    )
    .join("\n");
  const simSection = plots.similarity
    ? `<section><h2>Similarity to the task</h2><p>Each dot is one test instruction: x is how similar it is to the task's training instructions, y how much more the response resembles task responses than general ones. ${sims.map((s) => `${esc(simLabel(s.file, r, dir))}: Pearson r = ${n(s.r.pearson_r, 3)}, embedder ${esc(s.r.embedder)}`).join("; ")}.</p>${plots.similarity}</section>`
    : "";

  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(t.experiment)} — implicit-instruct report</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d1d1f;background:#fafafa;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:24px 20px 60px}
h1{font-size:1.6rem;margin:.2em 0}h2{font-size:1.2rem;margin:1.6em 0 .5em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;background:#fff;width:100%;font-size:.92rem}th,td{padding:6px 10px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#f0f0f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#777;font-size:.85em}.tag{display:inline-block;background:#eef;border-radius:4px;padding:0 5px;font-size:.78em;color:#335}
section svg{max-width:100%;height:auto;background:#fff;border:1px solid #eee;border-radius:6px}
details{background:#fff;border:1px solid #e4e4e4;border-radius:6px;margin:8px 0;padding:6px 10px}summary{cursor:pointer;font-weight:600}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:10px;margin-top:8px}
.resp{border:1px solid #eee;border-radius:5px;padding:6px;background:#fcfcfd}.arm{font-weight:600;font-size:.9em;margin-bottom:4px}
pre{white-space:pre-wrap;word-wrap:break-word;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.82em;margin:0;max-height:260px;overflow:auto}
</style></head>
<body><main>
<h1>${esc(t.experiment)}</h1>
<p class="muted">${esc(r.config.description ?? "")} Base model <code>${esc(basename(r.config.baseModel))}</code>; reference arm <code>${esc(t.reference)}</code>; judge <code>${esc(basename(t.judge))}</code>${t.both_orders ? " (both orders averaged)" : ""}.</p>
${r.lab ? labSection(r.lab, r.findings ?? [], plots, t.reference) : ""}
${
  judged
    ? `<section><h2>Results</h2>
<table id="results"><thead><tr><th>Arm</th><th>Type</th><th>Win rate vs ${esc(t.reference)} (%)</th><th>SE</th>${lc ? "<th>LC win rate (%)</th><th>LC SE</th>" : ""}<th>Avg length</th><th>Seeds</th><th>Per seed</th></tr></thead>
<tbody>
${tableRows}
</tbody></table>
<p class="muted">Mean ± sample standard deviation over seeds of the win rate against the reference arm of the same seed (50% = as good as the reference). SE: the mean over seeds of AlpacaEval's standard error.${lc ? " LC: AlpacaEval 2's length-controlled win rate (the rate its GLM predicts with the length difference set to 0), same statistics; the paper reports this one." : ""}</p>
${plots.winrate}
${plots.lcWinrate ?? ""}
</section>`
    : ""
}
<section><h2>Response lengths and stopping</h2>
<table id="lengths"><thead><tr><th>Arm</th><th>Responses</th><th>Chars (mean)</th><th>Chars (median)</th><th>Tokens (mean)</th><th>EOS rate</th><th>Stop reasons</th></tr></thead><tbody>
${lengthRows}
</tbody></table>
${plots.lengths}
</section>
${simSection}
<section><h2>Responses side by side</h2>
${examples}
</section>
<section><h2>Table as CSV</h2><pre>${esc(resultsCsv(t))}</pre></section>
</main></body></html>
`;
  const htmlPath = join(out, "report.html");
  await writeTextAtomic(htmlPath, html);
  return { html: htmlPath, plots: plotFiles, arms };
}

/** A series name: the arm for an experiment's own analyses, else the file name. */
function simLabel(file: string, r: ExperimentResults, dir: string): string {
  const own = (r.similarity ?? []).find((s) => join(dir, s.path) === file);
  if (own) return `${own.arm} (seed ${own.seed})`.slice(0, 22);
  return (
    basename(file)
      .replace(/\.json$/, "")
      .replace(/^similarity-?/, "")
      .slice(0, 22) || "outputs"
  );
}
