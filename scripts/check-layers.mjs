#!/usr/bin/env node
// The import graph of src/ points down: a file imports only from its own folder, a folder on a lower layer,
// or another folder of its own layer without closing a loop. Run: node scripts/check-layers.mjs [srcDir]
// (exit 1 listing every upward import and every loop between folders).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The layers, bottom first: the one place they are written. A "folder" is the longest entry that prefixes a
 * file's path under src/ (so `rules/fit` is its own folder above `rules`); `errors.ts`, `version.ts` and
 * `index.ts` are files at the root.
 */
export const LAYERS = [
  ["util", "errors.ts", "version.ts"],
  ["bindings", "data", "rules"],
  ["model"],
  ["training", "generation"],
  ["eval", "rules/fit"],
  ["lab", "serve", "chat"],
  ["experiment"],
  ["bench", "report"],
  ["cli", "index.ts"],
];

const layerOf = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));
const byLength = [...layerOf.keys()].sort((a, b) => b.length - a.length);

/** The table entry a src-relative path belongs to, or undefined when the table does not name it. */
export function folderOf(path) {
  return byLength.find((name) => path === name || path.startsWith(`${name}/`));
}

// `import … from "x"`, `export … from "x"`, `import "x"` and `import("x")` (also in type positions).
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)"(\.{1,2}\/[^"]+)"/g;

function tsFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** Every relative import under `srcDir`, as src-relative paths of the importing and the imported file. */
export function importsOf(srcDir) {
  const edges = [];
  for (const file of tsFiles(srcDir)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(SPECIFIER)) {
      const target = resolve(dirname(file), m[1]).replace(/\.js$/, ".ts");
      edges.push({ from: relative(srcDir, file), to: relative(srcDir, target) });
    }
  }
  return edges;
}

/** The problems in `srcDir`'s graph: files outside the table, upward imports, loops between folders. */
export function checkLayers(srcDir) {
  const problems = [];
  const between = new Map(); // folder -> folder -> one example edge
  for (const { from, to } of importsOf(srcDir)) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === undefined || b === undefined) {
      problems.push(`${a === undefined ? from : to}: in no layer of scripts/check-layers.mjs`);
      continue;
    }
    if (a === b) continue;
    if (layerOf.get(b) > layerOf.get(a)) problems.push(`${from} -> ${to}: ${a} imports ${b}, a higher layer`);
    if (!between.has(a)) between.set(a, new Map());
    if (!between.get(a).has(b)) between.get(a).set(b, `${from} -> ${to}`);
  }
  for (const loop of folderLoops(between)) problems.push(`loop between folders: ${loop}`);
  return problems;
}

/** Loops in the folder graph, one line each naming an edge per step (Tarjan's strongly connected components). */
function folderLoops(between) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const loops = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of between.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length < 2) return;
    component.sort();
    const inside = new Set(component);
    const edges = component.flatMap((f) =>
      [...(between.get(f) ?? [])].filter(([to]) => inside.has(to)).map(([, edge]) => edge),
    );
    loops.push(`${component.join(", ")} (${edges.join("; ")})`);
  };
  for (const v of [...between.keys()].sort()) if (!index.has(v)) visit(v);
  return loops;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const srcDir = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "src"));
  const problems = checkLayers(srcDir);
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (problems.length > 0) {
    process.stderr.write(`check-layers: ${problems.length} problem(s) in ${srcDir}\n`);
    process.exit(1);
  }
  process.stdout.write(`check-layers: every import in ${srcDir} points down\n`);
}
