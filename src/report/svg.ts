// Small hand-written SVG charts: deterministic, dependency-free, readable without a browser.

export const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#e15759",
  "#76b7b2",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

export function esc(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
/** Tick labels: as many digits as the ticks need (0.002, 0.004 — not 0.00, 0.00). */
const tickFmt = (x: number) => String(Number(x.toPrecision(4)));

/** Round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

function svgOpen(w: number, h: number, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}" ` +
    `font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="12">` +
    `<title>${esc(title)}</title><rect width="${w}" height="${h}" fill="#fff"/>` +
    `<text x="${w / 2}" y="18" text-anchor="middle" font-size="14" font-weight="600">${esc(title)}</text>`
  );
}

export interface Bar {
  label: string;
  value: number | null;
  /** Half-width of the error bar (e.g. the std over seeds). */
  error?: number | null;
  note?: string;
}

/** Horizontal bars with error bars, on a fixed axis (e.g. 0–100 %), and an optional reference line. */
export function barChart(
  bars: Bar[],
  opts: { title: string; axis: string; min?: number; max?: number; refLine?: { value: number; label: string } },
): string {
  const left = 170;
  const right = 40;
  const w = 720;
  const rowH = 30;
  const top = 40;
  const h = top + bars.length * rowH + 50;
  const lo = opts.min ?? 0;
  const hi = opts.max ?? Math.max(1, ...bars.map((b) => (b.value ?? 0) + (b.error ?? 0))) * 1.1;
  const x = (v: number) => left + ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo)) * (w - left - right);
  const parts = [svgOpen(w, h, opts.title)];
  for (const t of ticks(lo, hi)) {
    parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${top - 4}" y2="${h - 40}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x(t)}" y="${h - 26}" text-anchor="middle" fill="#555">${tickFmt(t)}</text>`);
  }
  parts.push(
    `<text x="${(left + w - right) / 2}" y="${h - 8}" text-anchor="middle" fill="#333">${esc(opts.axis)}</text>`,
  );
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const color = PALETTE[i % PALETTE.length];
    parts.push(`<text x="${left - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${esc(b.label)}</text>`);
    if (b.value === null) {
      parts.push(`<text x="${left + 4}" y="${y + rowH / 2 + 4}" fill="#777">${esc(b.note ?? "n/a")}</text>`);
      return;
    }
    parts.push(
      `<rect class="bar" x="${left}" y="${y + 6}" width="${Math.max(0, x(b.value) - left)}" height="${rowH - 12}" fill="${color}"><title>${esc(`${b.label}: ${fmt(b.value)}${b.error ? ` ± ${fmt(b.error)}` : ""}`)}</title></rect>`,
    );
    if (b.error) {
      const y0 = y + rowH / 2;
      const [a, c] = [x(b.value - b.error), x(b.value + b.error)];
      parts.push(
        `<path d="M${a} ${y0}H${c}M${a} ${y0 - 6}V${y0 + 6}M${c} ${y0 - 6}V${y0 + 6}" stroke="#222" stroke-width="1.5" fill="none"/>`,
      );
    }
    parts.push(
      `<text x="${x(b.value + (b.error ?? 0)) + 6}" y="${y + rowH / 2 + 4}" fill="#333">${fmt(b.value)}${b.error ? ` ± ${fmt(b.error)}` : ""}</text>`,
    );
  });
  if (opts.refLine) {
    const rx = x(opts.refLine.value);
    parts.push(`<line x1="${rx}" x2="${rx}" y1="${top - 6}" y2="${h - 40}" stroke="#c00" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${rx + 4}" y="${top - 8}" fill="#c00" font-size="11">${esc(opts.refLine.label)}</text>`);
  }
  return parts.join("") + "</svg>\n";
}

export interface BoxRow {
  label: string;
  values: number[];
}

function q(sorted: number[], p: number): number {
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.ceil(pos)] - sorted[lo]) * (pos - lo);
}

/** One box plot per row (whiskers min–max, box quartiles, median line) with every value as a dot. */
export function boxPlot(rows: BoxRow[], opts: { title: string; axis: string }): string {
  const left = 170;
  const right = 40;
  const w = 720;
  const rowH = 34;
  const top = 40;
  const h = top + rows.length * rowH + 50;
  const all = rows.flatMap((r) => r.values);
  const hi = Math.max(1, ...all) * 1.05;
  const x = (v: number) => left + (v / hi) * (w - left - right);
  const parts = [svgOpen(w, h, opts.title)];
  for (const t of ticks(0, hi)) {
    parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${top - 4}" y2="${h - 40}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x(t)}" y="${h - 26}" text-anchor="middle" fill="#555">${tickFmt(t)}</text>`);
  }
  parts.push(
    `<text x="${(left + w - right) / 2}" y="${h - 8}" text-anchor="middle" fill="#333">${esc(opts.axis)}</text>`,
  );
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const mid = y + rowH / 2;
    const color = PALETTE[i % PALETTE.length];
    parts.push(`<text x="${left - 8}" y="${mid + 4}" text-anchor="end">${esc(r.label)}</text>`);
    if (!r.values.length) return;
    const s = [...r.values].sort((a, b) => a - b);
    const [mn, q1, md, q3, mx] = [s[0], q(s, 0.25), q(s, 0.5), q(s, 0.75), s[s.length - 1]];
    parts.push(
      `<path d="M${x(mn)} ${mid}H${x(q1)}M${x(q3)} ${mid}H${x(mx)}M${x(mn)} ${mid - 5}V${mid + 5}M${x(mx)} ${mid - 5}V${mid + 5}" stroke="#444" fill="none"/>`,
    );
    parts.push(
      `<rect x="${x(q1)}" y="${mid - 9}" width="${Math.max(1, x(q3) - x(q1))}" height="18" fill="${color}" fill-opacity="0.35" stroke="${color}"><title>${esc(`${r.label}: median ${fmt(md)}, quartiles ${fmt(q1)}–${fmt(q3)}, n = ${s.length}`)}</title></rect>`,
    );
    parts.push(`<line x1="${x(md)}" x2="${x(md)}" y1="${mid - 9}" y2="${mid + 9}" stroke="#111" stroke-width="2"/>`);
    for (const [k, v] of s.entries())
      parts.push(`<circle cx="${x(v)}" cy="${mid + ((k % 5) - 2) * 2}" r="1.8" fill="${color}"/>`);
  });
  return parts.join("") + "</svg>\n";
}

export interface ScatterSeries {
  label: string;
  points: { x: number; y: number; title?: string }[];
}

/** Plot area with grid, tick labels and axis titles; returns the coordinate maps and the SVG so far. */
function xyFrame(
  opts: { title: string; xAxis: string; yAxis: string },
  x0: number,
  x1: number,
  y0: number,
  y1: number,
) {
  const w = 720;
  const h = 460;
  const [left, right, top, bottom] = [70, 160, 40, 50];
  const X = (v: number) => left + ((v - x0) / (x1 - x0)) * (w - left - right);
  const Y = (v: number) => h - bottom - ((v - y0) / (y1 - y0)) * (h - top - bottom);
  const parts = [svgOpen(w, h, opts.title)];
  for (const t of ticks(x0, x1)) {
    parts.push(
      `<line x1="${X(t)}" x2="${X(t)}" y1="${top}" y2="${h - bottom}" stroke="#eee"/><text x="${X(t)}" y="${h - bottom + 16}" text-anchor="middle" fill="#555">${tickFmt(t)}</text>`,
    );
  }
  for (const t of ticks(y0, y1)) {
    parts.push(
      `<line x1="${left}" x2="${w - right}" y1="${Y(t)}" y2="${Y(t)}" stroke="#eee"/><text x="${left - 6}" y="${Y(t) + 4}" text-anchor="end" fill="#555">${tickFmt(t)}</text>`,
    );
  }
  if (y0 < 0 && y1 > 0)
    parts.push(`<line x1="${left}" x2="${w - right}" y1="${Y(0)}" y2="${Y(0)}" stroke="#999" stroke-dasharray="3 3"/>`);
  parts.push(
    `<text x="${(left + w - right) / 2}" y="${h - 10}" text-anchor="middle" fill="#333">${esc(opts.xAxis)}</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${(top + h - bottom) / 2}) rotate(-90)" text-anchor="middle" fill="#333">${esc(opts.yAxis)}</text>`,
  );
  const legend = (i: number, label: string, mark: (cx: number, cy: number) => string) =>
    parts.push(
      `${mark(w - right + 16, top + 10 + i * 18)}<text x="${w - right + 26}" y="${top + 14 + i * 18}">${esc(label)}</text>`,
    );
  return { X, Y, parts, legend };
}

/** A scatter plot with one colour per series and a legend. */
export function scatter(series: ScatterSeries[], opts: { title: string; xAxis: string; yAxis: string }): string {
  const pts = series.flatMap((s) => s.points);
  const pad = (lo: number, hi: number) => (hi > lo ? [lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05] : [lo - 1, hi + 1]);
  const [x0, x1] = pad(Math.min(...pts.map((p) => p.x)), Math.max(...pts.map((p) => p.x)));
  const [y0, y1] = pad(Math.min(...pts.map((p) => p.y)), Math.max(...pts.map((p) => p.y)));
  const { X, Y, parts, legend } = xyFrame(opts, x0, x1, y0, y1);
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    for (const p of s.points)
      parts.push(
        `<circle cx="${X(p.x)}" cy="${Y(p.y)}" r="3.5" fill="${color}" fill-opacity="0.75">${p.title ? `<title>${esc(p.title)}</title>` : ""}</circle>`,
      );
    legend(i, s.label, (cx, cy) => `<circle cx="${cx}" cy="${cy}" r="5" fill="${color}"/>`);
  });
  return parts.join("") + "</svg>\n";
}

export interface LineSeries {
  label: string;
  points: { x: number; y: number }[];
  dashed?: boolean;
  /** Series sharing a colour index are drawn in the same colour. */
  color?: number;
}

/** Lines over a shared x axis (learning curves), on a fixed y range. */
export function lineChart(
  series: LineSeries[],
  opts: { title: string; xAxis: string; yAxis: string; yMin: number; yMax: number },
): string {
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const x1 = Math.max(1, ...xs);
  const { X, Y, parts, legend } = xyFrame(opts, 0, x1, opts.yMin, opts.yMax);
  series.forEach((s, i) => {
    const color = PALETTE[(s.color ?? i) % PALETTE.length];
    const dash = s.dashed ? ` stroke-dasharray="5 4"` : "";
    const d = s.points.map((p, k) => `${k ? "L" : "M"}${X(p.x).toFixed(1)} ${Y(p.y).toFixed(1)}`).join(" ");
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    legend(
      i,
      s.label,
      (cx, cy) =>
        `<line x1="${cx - 8}" x2="${cx + 6}" y1="${cy}" y2="${cy}" stroke="${color}" stroke-width="2"${dash}/>`,
    );
  });
  return parts.join("") + "</svg>\n";
}
