#!/usr/bin/env node
// Copies the lab's table and verdicts from a run's results.md into README.md and docs/lab.md, between
// `<!-- BEGIN lab-tables:NAME -->` and `<!-- END lab-tables:NAME -->` (summary: table and findings;
// full: everything from the table to the findings), so no number there is typed by hand. With
// --fitted it also writes the run's fitted rule file to examples/lab-rules-fitted.json (world 1 only:
// that file is what the rules-transfer arm applies to other worlds).
// With --worlds FILE (the markdown `iit bench lab --worlds 1-5 --markdown FILE` wrote) it copies the
// multi-world result instead: its first line into the block worlds-summary, the whole into worlds, its
// table of rule arms into worlds-rules (docs/rules.md).
// Usage: node scripts/lab-tables.mjs [RUN_DIR=runs/lab] [--as PREFIX] [--fitted] [--check]
//        node scripts/lab-tables.mjs --worlds FILE [--check]
//   --as PREFIX: fill the blocks PREFIX-summary and PREFIX-full instead (e.g. --as world-2 for runs/lab-world-2).
//   --check: change nothing; exit 1 if a file would change.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const asAt = args.indexOf("--as");
const prefix = asAt >= 0 ? args[asAt + 1] : null;
const worldsAt = args.indexOf("--worlds");
const worldsFile = worldsAt >= 0 ? args[worldsAt + 1] : null;
const run = resolve(
  args.find((a, i) => !a.startsWith("--") && (asAt < 0 || i !== asAt + 1) && (worldsAt < 0 || i !== worldsAt + 1)) ??
    join(root, "runs", "lab"),
);
const check = args.includes("--check");

function fail(message) {
  process.stderr.write(`lab-tables: ${message}\n`);
  process.exit(2);
}

/** The parts of results.md: the main table, and the findings list (with what lies between). */
export function sections(md) {
  const lines = md.split("\n");
  const start = lines.findIndex((l) => l.startsWith("| Arm |"));
  if (start < 0) return null;
  let end = start;
  while (end < lines.length && lines[end].startsWith("|")) end++;
  const heading = lines.findIndex((l, i) => i > end && /^#+ Findings/.test(l));
  if (heading < 0) return null;
  let first = heading + 1;
  while (first < lines.length && !lines[first].startsWith("- ")) first++;
  let last = first;
  while (last < lines.length && lines[last].startsWith("- ")) last++;
  const findings = lines.slice(first, last);
  // The recipe's own targets (reference strength, plateau) follow the findings when the run has them.
  let checksEnd = last;
  if (/^#+ The recipe's own targets/.test(lines[last + 1] ?? "")) {
    checksEnd = last + 2;
    while (checksEnd < lines.length && !lines[checksEnd].startsWith("- ")) checksEnd++;
    while (checksEnd < lines.length && lines[checksEnd].startsWith("- ")) checksEnd++;
  }
  const checks = lines.slice(last, checksEnd).filter((l) => l.startsWith("- "));
  return {
    summary: [...lines.slice(start, end), "", ...findings, ...(checks.length ? ["", ...checks] : [])].join("\n"),
    full: lines.slice(start, checksEnd).join("\n"),
  };
}

/**
 * The blocks of the bench's multi-world markdown: its first line (the k-of-N summary), the whole, and
 * its table of rule arms per world (docs/rules.md).
 */
export function worldsBlocks(md) {
  const text = md.trimEnd();
  const lines = text.split("\n");
  if (!lines[0].startsWith("Findings reproduced on worlds")) return null;
  const start = lines.findIndex((l) => l.startsWith("| World | rules (fitted"));
  let end = start;
  while (end >= 0 && end < lines.length && lines[end].startsWith("|")) end++;
  return {
    "worlds-summary": lines[0],
    worlds: text,
    ...(start >= 0 ? { "worlds-rules": lines.slice(start, end).join("\n") } : {}),
  };
}

/** `text` with each marked block replaced; throws when a block's markers are missing. */
export function replaceBlocks(text, blocks, file) {
  let out = text;
  for (const [name, body] of Object.entries(blocks)) {
    const begin = `<!-- BEGIN lab-tables:${name} -->`;
    const end = `<!-- END lab-tables:${name} -->`;
    const i = out.indexOf(begin);
    const j = out.indexOf(end);
    if (i < 0 && j < 0) continue;
    if (i < 0 || j < i) throw new Error(`${file}: the markers of lab-tables:${name} are not a begin…end pair`);
    out = `${out.slice(0, i + begin.length)}\n${body}\n${out.slice(j)}`;
  }
  return out;
}

/**
 * The rule file the run's `rules` arm applied: results.json names the arm's generation step, whose
 * manifest names the fit step it depended on (not the newest fit step in the directory: a cached older
 * one may be what the latest run used).
 */
export function fittedFile(runDir) {
  const resultsJson = join(runDir, "results.json");
  if (!existsSync(resultsJson)) fail(`${resultsJson} does not exist: run the lab first (npx iit lab)`);
  const generation = JSON.parse(readFileSync(resultsJson, "utf8")).generations?.rules?.[0]?.path;
  if (!generation) fail(`${resultsJson} has no generations of a "rules" arm`);
  const manifest = (dir) => JSON.parse(readFileSync(join(dir, "step.json"), "utf8"));
  const dep = manifest(join(runDir, generation, ".."))?.inputs?.deps?.rules;
  const hash = /^lab\/fit-rules@([0-9a-f]+)$/.exec(dep ?? "")?.[1];
  if (!hash)
    fail(`the rules arm of ${runDir} was not fitted by the lab's fit step (it depends on ${dep ?? "nothing"})`);
  const d = join(runDir, "steps", "lab", `fit-rules-${hash}`);
  if (!existsSync(join(d, "step.json"))) fail(`${d} (the fit step the rules arm used) is missing`);
  const m = manifest(d);
  if (m.inputs.slice.world !== 1)
    fail(`${d} was fitted on world ${m.inputs.slice.world}; examples/lab-rules-fitted.json is world 1's`);
  return join(d, m.outputs.rules);
}

function runBlocks() {
  const resultsMd = join(run, "results.md");
  if (!existsSync(resultsMd)) fail(`${resultsMd} does not exist: run the lab first (npx iit lab)`);
  const parts = sections(readFileSync(resultsMd, "utf8"));
  if (!parts) fail(`${resultsMd} has no "| Arm |" table followed by a Findings list`);
  return prefix ? { [`${prefix}-summary`]: parts.summary, [`${prefix}-full`]: parts.full } : parts;
}

function benchBlocks() {
  if (!worldsFile || !existsSync(worldsFile))
    fail(`--worlds ${worldsFile ?? ""}: no such file (iit bench lab --worlds 1-5 --markdown FILE writes it)`);
  const blocks = worldsBlocks(readFileSync(worldsFile, "utf8"));
  if (!blocks) fail(`${worldsFile} does not start with "Findings reproduced on worlds"`);
  return blocks;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const blocks = worldsAt >= 0 ? benchBlocks() : runBlocks();
  const writes = [];
  for (const file of ["README.md", join("docs", "lab.md"), join("docs", "rules.md")]) {
    const path = join(root, file);
    const text = readFileSync(path, "utf8");
    writes.push({ path, text, next: replaceBlocks(text, blocks, file) });
  }
  if (args.includes("--fitted")) {
    const path = join(root, "examples", "lab-rules-fitted.json");
    writes.push({ path, text: readFileSync(path, "utf8"), next: readFileSync(fittedFile(run), "utf8") });
  }
  let changed = 0;
  for (const w of writes) {
    if (w.next === w.text) continue;
    changed++;
    process.stdout.write(`${check ? "would change" : "updated"} ${w.path}\n`);
    if (!check) writeFileSync(w.path, w.next);
  }
  if (!changed) process.stdout.write("up to date\n");
  process.exit(check && changed ? 1 : 0);
}
