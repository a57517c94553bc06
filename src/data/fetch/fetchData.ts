// `iit data get NAME…` / fetchData(): download each name's files (sources.ts), build its ready
// JSONL/JSON with the project's converters, and record what arrived in DATA_DIR/manifest.json.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { AbortError, DatasetError } from "../../errors.js";
import { sha256File } from "../../util/sha256File.js";
import { writeJsonAtomic } from "../../util/atomicWrite.js";
import { stderrProgress, type DownloadProgress } from "../../util/downloadProgress.js";
import { readDataset } from "../convert/index.js";
import { dropInstructions, writeJsonlAtomic } from "../messages.js";
import { readRows } from "../readers.js";
import { dataDir as resolveDataDir } from "./dataDir.js";
import { downloadFile } from "./download.js";
import { hfToken } from "./hfToken.js";
import {
  DATA_NAMES,
  DATA_SOURCES,
  sourceUrl,
  type DataName,
  type DataSource,
  type Product,
  type SourceFile,
} from "./sources.js";

export interface FetchDataOptions {
  /** Where to write; see dataDir(). */
  dataDir?: string;
  /** Download and build again even when the manifest says the name is complete. */
  force?: boolean;
  signal?: AbortSignal;
  /** Called as bytes arrive; `false` silences the default progress on stderr. */
  onProgress?: ((p: DownloadProgress & { name: string; url: string }) => void) | false;
}

/** One downloaded file as manifest.json records it. */
export interface FetchedFile {
  url: string;
  repo: string;
  /** The revision asked for (sources.ts). */
  revision: string;
  /** The commit the server said it served, when it said (Hugging Face's X-Repo-Commit). */
  servedRevision?: string;
  path: string;
  /** Relative to the data directory. */
  file: string;
  bytes: number;
  sha256: string;
}

export interface BuiltFile {
  /** Relative to the data directory. */
  file: string;
  rows: number;
  sha256: string;
}

export interface FetchedName {
  name: DataName;
  /** True when the manifest already had it complete (nothing downloaded). */
  skipped: boolean;
  fetchedAt: string;
  files: FetchedFile[];
  outputs: BuiltFile[];
  notes: string[];
}

export interface FetchDataResult {
  dataDir: string;
  manifest: string;
  items: FetchedName[];
}

interface Manifest {
  version: 1;
  data: Partial<Record<DataName, Omit<FetchedName, "name" | "skipped" | "notes">>>;
}

/** Checks every name before anything is downloaded: a typo is not half a run. */
export function checkDataNames(names: readonly string[]): DataName[] {
  if (names.length === 0) {
    throw new DatasetError("DATA_UNKNOWN_NAME", "no data name given", {
      suggestion: `name one or more of ${DATA_NAMES.join(", ")}`,
    });
  }
  const unknown = names.filter((n) => !Object.hasOwn(DATA_SOURCES, n));
  if (unknown.length > 0) {
    throw new DatasetError(
      "DATA_UNKNOWN_NAME",
      `unknown data name${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`,
      {
        suggestion: `use one of ${DATA_NAMES.join(", ")}`,
      },
    );
  }
  return [...new Set(names)] as DataName[];
}

/**
 * Fetches each named dataset into the data directory, one name after another; the manifest is
 * rewritten (atomically) after each, so a failure keeps everything that finished before it.
 */
export async function fetchData(names: readonly string[], opts: FetchDataOptions = {}): Promise<FetchDataResult> {
  const wanted = checkDataNames(names);
  const dir = resolveDataDir(opts.dataDir);
  const manifestPath = join(dir, "manifest.json");
  const manifest = await readManifest(manifestPath);
  const items: FetchedName[] = [];
  for (const name of wanted) {
    if (opts.signal?.aborted) throw new AbortError();
    const source: DataSource = DATA_SOURCES[name];
    const known = manifest.data[name];
    if (!opts.force && known && sameSources(known.files, source.files) && (await allPresent(dir, known))) {
      items.push({ name, skipped: true, ...known, notes: [`already in ${dir} (--force fetches it again)`] });
      continue;
    }
    const files: FetchedFile[] = [];
    for (const f of source.files) files.push(await fetchFile(name, f, dir, source, opts));
    const notes: string[] = [];
    const outputs: BuiltFile[] = [];
    for (const p of source.products) outputs.push(...(await build(p, dir, notes)));
    const entry = { fetchedAt: new Date().toISOString(), files, outputs };
    manifest.data[name] = entry;
    await writeJsonAtomic(manifestPath, manifest);
    items.push({ name, skipped: false, ...entry, notes });
  }
  return { dataDir: dir, manifest: manifestPath, items };
}

async function fetchFile(
  name: DataName,
  f: SourceFile,
  dir: string,
  source: DataSource,
  opts: FetchDataOptions,
): Promise<FetchedFile> {
  const url = sourceUrl(f);
  const dest = join(dir, f.saveAs);
  const report = opts.onProgress;
  const shown = report === undefined ? stderrProgress(url, dir) : undefined;
  const onProgress = report ? (p: DownloadProgress) => report({ ...p, name, url }) : shown?.update;
  // The token goes to Hugging Face only, never to the GitHub endpoint.
  const token = f.host === "hf" ? await hfToken() : undefined;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const got = await downloadFile(url, dest, { headers, onProgress, signal: opts.signal, gatedPage: source.gatedPage });
  shown?.done(dest);
  return {
    url,
    repo: f.repo,
    revision: f.revision,
    ...(got.servedRevision ? { servedRevision: got.servedRevision } : {}),
    path: f.path,
    file: f.saveAs,
    bytes: got.bytes,
    sha256: await sha256File(dest),
  };
}

/** Builds (or checks) one product; returns the files it wrote or checked. */
async function build(p: Product, dir: string, notes: string[]): Promise<BuiltFile[]> {
  const at = (rel: string) => join(dir, rel);
  const done = async (rel: string, rows: number): Promise<BuiltFile> => ({
    file: rel,
    rows,
    sha256: await sha256File(at(rel)),
  });
  switch (p.kind) {
    case "convert": {
      const { rows, notes: n } = await readDataset(p.format, at(p.from));
      if (rows.length === 0)
        throw new DatasetError("DATA_EMPTY", `${at(p.from)}: no ${p.format} examples found`, {
          suggestion: "the download is not the expected dataset: rerun with --force",
        });
      notes.push(...n.map((x) => `${p.to}: ${x}`));
      await writeJsonlAtomic(at(p.to), rows);
      const out = [await done(p.to, rows.length)];
      if (p.noInstruction) {
        await writeJsonlAtomic(at(p.noInstruction), dropInstructions(rows));
        out.push(await done(p.noInstruction, rows.length));
      }
      return out;
    }
    case "instructions": {
      const rows: { instruction: string; dataset?: string }[] = [];
      for await (const src of readRows(at(p.from))) {
        const { instruction, dataset } = src.row;
        if (typeof instruction !== "string")
          throw new DatasetError("DATA_MALFORMED", `${src.where}: no "instruction" string`, {
            suggestion: "rerun with --force",
          });
        rows.push(typeof dataset === "string" ? { instruction, dataset } : { instruction });
      }
      await writeJsonlAtomic(at(p.to), rows);
      return [await done(p.to, rows.length)];
    }
    case "text": {
      const text = await readFile(at(p.file), "utf8");
      if (text.trim() === "")
        throw new DatasetError("DATA_EMPTY", `${at(p.file)}: empty`, { suggestion: "rerun with --force" });
      return [await done(p.file, text.split("\n").length)];
    }
    default: {
      // json-array, jsonl, csv: read every record, so a wrong or cut file fails here, naming it.
      let rows = 0;
      for await (const _ of readRows(at(p.file))) rows++;
      if (rows < (p.minRows ?? 0))
        throw new DatasetError("DATA_EMPTY", `${at(p.file)}: ${rows} records`, { suggestion: "rerun with --force" });
      return [await done(p.file, rows)];
    }
  }
}

/** The manifest's files are the ones sources.ts names now (a newer version may pin another revision). */
function sameSources(had: FetchedFile[], want: SourceFile[]): boolean {
  return (
    had.length === want.length &&
    want.every(
      (f, i) =>
        had[i].repo === f.repo && had[i].revision === f.revision && had[i].path === f.path && had[i].file === f.saveAs,
    )
  );
}

async function allPresent(dir: string, entry: { files: FetchedFile[]; outputs: BuiltFile[] }): Promise<boolean> {
  const rels = [...entry.files.map((f) => f.file), ...entry.outputs.map((o) => o.file)];
  for (const rel of rels) if (!(await stat(join(dir, rel)).catch(() => undefined))?.isFile()) return false;
  return true;
}

async function readManifest(path: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return { version: 1, data: {} };
  }
  try {
    const m = JSON.parse(text) as Manifest;
    if (m && typeof m === "object" && m.data && typeof m.data === "object") return m;
  } catch {
    /* reported below */
  }
  throw new DatasetError("DATA_MALFORMED", `${path}: not a data manifest (JSON with a "data" object)`, {
    suggestion: "it is left as it is: move it away (or fix it) and rerun",
  });
}
