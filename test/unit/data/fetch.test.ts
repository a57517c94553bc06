// `iit data get` / fetchData() against a real HTTP server standing in for Hugging Face and GitHub
// (HF_ENDPOINT, IIT_GITHUB_ENDPOINT), serving small fixtures in each source's real format.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../../src/util/packageRoot.js";
import { DatasetError } from "../../../src/errors.js";
import { dataDir } from "../../../src/data/fetch/dataDir.js";
import { fetchData, type FetchDataResult } from "../../../src/data/fetch/fetchData.js";
import { DATA_NAMES, DATA_SOURCES, dataNameFor, sourceUrl, type SourceFile } from "../../../src/data/fetch/sources.js";
import { iit } from "../../helpers/cli.js";
import { repoRoot, sharedDir, tempDir } from "../../helpers/fixtures.js";
import { startDataServer, type DataServer, type ServedFile } from "../../helpers/dataServer.js";
import { iitAsync } from "../../native/serve/proc.js";

const FIX = join(repoRoot, "test", "fixtures", "data");
const TOKEN = "hf_test_token";
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

/** The fixture that stands in for each source file (same format as the real one). */
const FIXTURE: Record<string, string> = {
  "alpaca_eval_gpt4_baseline.json": "alpaca_eval/alpaca_eval_gpt4_baseline.json",
  "src/alpaca_eval/evaluators_configs/alpaca_eval_clf_gpt4_turbo/alpaca_eval_clf.txt":
    "alpaca_eval/alpaca_eval_clf.txt",
  "df_gamed.csv": "alpaca_eval/df_gamed.csv",
  "instruction_difficulty.csv": "alpaca_eval/instruction_difficulty.csv",
  "train.jsonl": "lima/train.jsonl",
  "main/train-00000-of-00001.parquet": "gsm8k/train-00000-of-00001.parquet",
  "full/train-00000-of-00001.parquet": "mbpp/train-00000-of-00001.parquet",
  "default/train/0000.parquet@Hieu-Pham/kaggle_food_recipes": "recipes/0000.parquet",
  "default/train/0000.parquet@patrickfrank1/chess-pgn-games": "pgn/train-00000-of-00001.parquet",
  "poetry.csv": "poetry/poetry.csv",
  "eval/val_eval/val.jsonl": "paper_val/val.jsonl",
  "eval/val_eval/val-gpt3.5-2.json": "paper_val/val-gpt3.5-2.json",
};
const fixtureOf = (f: SourceFile) => join(FIX, FIXTURE[f.path] ?? FIXTURE[`${f.path}@${f.repo}`]);
const sha256 = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
const lines = (p: string) => readFileSync(p, "utf8").trimEnd().split("\n");

const ENV = ["HF_ENDPOINT", "IIT_GITHUB_ENDPOINT", "HF_TOKEN", "HF_HOME", "IIT_DATA_DIR"] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
let server: DataServer;
/** URL path (no leading slash) of each source file, as the server sees it. */
const served = new Map<SourceFile, string>();

beforeAll(async () => {
  process.env.HF_HOME = tempDir(); // no token file of this machine's user
  const files: Record<string, ServedFile> = {};
  server = await startDataServer(files);
  process.env.HF_ENDPOINT = server.url;
  process.env.IIT_GITHUB_ENDPOINT = server.github;
  for (const name of DATA_NAMES) {
    const source = DATA_SOURCES[name];
    for (const f of source.files as SourceFile[]) {
      const path = decodeURIComponent(new URL(sourceUrl(f)).pathname).slice(1);
      served.set(f, path);
      files[path] = {
        file: fixtureOf(f),
        ...(f.host === "hf" ? { repoCommit: COMMIT } : {}),
        ...("gatedPage" in source ? { token: TOKEN } : {}),
      };
    }
  }
});
afterEach(() => {
  for (const k of ENV) if (k !== "HF_ENDPOINT" && k !== "IIT_GITHUB_ENDPOINT" && k !== "HF_HOME") restore(k);
  process.env.HF_ENDPOINT = server.url;
  process.env.IIT_GITHUB_ENDPOINT = server.github;
});
afterAll(async () => {
  for (const k of ENV) restore(k);
  await server.close();
});
function restore(k: string) {
  if (saved[k] === undefined) delete process.env[k];
  else process.env[k] = saved[k];
}
const pathOf = (repo: string, path: string) => [...served].find(([f]) => f.repo === repo && f.path === path)![1];

describe("the data directory", () => {
  it("is the dataDir option, else IIT_DATA_DIR, else the package's data/ (git-ignored)", () => {
    delete process.env.IIT_DATA_DIR;
    expect(dataDir()).toBe(join(packageRoot, "data"));
    process.env.IIT_DATA_DIR = "some/dir";
    expect(dataDir()).toBe(resolve("some/dir"));
    expect(dataDir("/opt/data")).toBe("/opt/data");
    expect(readFileSync(join(repoRoot, ".gitignore"), "utf8")).toMatch(/^\/data\/$/m);
  });

  it("sources are full URLs on the two endpoints, with commit ids where the record gives one", () => {
    delete process.env.HF_ENDPOINT;
    delete process.env.IIT_GITHUB_ENDPOINT;
    const lc = DATA_SOURCES["alpaca-eval-lc"].files[0];
    expect(sourceUrl(lc)).toBe(
      "https://huggingface.co/datasets/tatsu-lab/alpaca_eval/resolve/2edc6fad8be6b14ea7230aabfd08188da6b8b814/df_gamed.csv",
    );
    const val = DATA_SOURCES["paper-val"].files[0];
    expect(sourceUrl(val)).toBe(
      "https://raw.githubusercontent.com/john-hewitt/implicit-ins/fe1c2d8d5d66e44bb7c51cf47a5921e08a4b500d/eval/val_eval/val.jsonl",
    );
    expect(sourceUrl(DATA_SOURCES.chess.files[0])).toBe(
      "https://huggingface.co/datasets/patrickfrank1/chess-pgn-games/resolve/refs%2Fconvert%2Fparquet/default/train/0000.parquet",
    );
  });
});

describe("fetchData from a local endpoint", () => {
  let dir: string;
  let result: FetchDataResult;
  const progress: { url: string; downloadedBytes: number; totalBytes: number }[] = [];

  beforeAll(async () => {
    process.env.HF_TOKEN = TOKEN;
    dir = tempDir();
    server.requests.length = 0;
    result = await fetchData(DATA_NAMES, { dataDir: dir, onProgress: (p) => progress.push(p) });
    delete process.env.HF_TOKEN;
  });

  it("gets every name and builds ready JSONL/JSON", () => {
    expect(result.items.map((i) => i.name)).toEqual(DATA_NAMES);
    const at = (p: string) => join(dir, p);
    // alpaca-eval: the baseline file unchanged, its instructions as prompts JSONL, the judge prompt
    expect(
      readFileSync(at("alpaca_eval/gpt4_1106_preview.model_outputs.json")).equals(
        readFileSync(join(FIX, "alpaca_eval/alpaca_eval_gpt4_baseline.json")),
      ),
    ).toBe(true);
    expect(lines(at("alpaca_eval/instructions.jsonl"))).toEqual([
      '{"instruction": "Name three colours of the rainbow.", "dataset": "helpful_base"}',
      '{"instruction": "Write one sentence about the sea.", "dataset": "koala"}',
      '{"instruction": "What is 2 + 2?", "dataset": "vicuna"}',
    ]);
    expect(readFileSync(at("alpaca_eval/alpaca_eval_clf_gpt4_turbo.txt"), "utf8")).toContain("{output_2}");
    // alpaca-eval-lc
    expect(readFileSync(at("alpaca_eval/df_gamed.csv"), "utf8")).toBe(
      readFileSync(join(FIX, "alpaca_eval/df_gamed.csv"), "utf8"),
    );
    expect(existsSync(at("alpaca_eval/instruction_difficulty.csv"))).toBe(true);
    // lima, as open-instruct + remove_instructions.py write it (Python json.dumps: ", ", ": ", ASCII escapes)
    const lima = lines(at("lima/lima_data.jsonl"));
    expect(lima[0]).toBe(
      '{"dataset": "lima", "id": "lima_0", "messages": [{"role": "user", "content": "Why is the sky blue?"}, ' +
        '{"role": "assistant", "content": "Sunlight scatters off air molecules, and blue light scatters the most.\\nThat is Rayleigh scattering."}]}',
    );
    expect(lima[1]).toContain('"Name a caf\\u00e9 dish."');
    const noIns = lines(at("lima/lima_no_instruction.jsonl"));
    expect(noIns.length).toBe(lima.length);
    expect(noIns[0]).toBe(lima[0].replace('"content": "Why is the sky blue?"', '"content": ""'));
    // the single-task sets, with the paper's ids
    expect(JSON.parse(lines(at("gsm8k/gsm8k.jsonl"))[0]).id).toBe("gsm8k_0");
    expect(lines(at("mbpp/mbpp.jsonl")).map((l) => JSON.parse(l).id)).toEqual(["mbpp_0", "mbpp_1"]); // the train split only
    expect(lines(at("recipes/kfr.jsonl")).map((l) => JSON.parse(l).messages[0].content)).toEqual([
      "Recipe for Simple Bread",
      "Recipe for Plain Rice",
    ]);
    expect(JSON.parse(lines(at("recipes/kfr.jsonl"))[0]).messages[1].content).toMatch(
      /^ - 2 cups flour\n - 1 tsp\. baker's yeast\n/,
    );
    expect(JSON.parse(lines(at("poetry/poetry.jsonl"))[0]).messages[0].content).toMatch(/^Write a poem called /);
    const pgn = lines(at("chess/pgn.jsonl")).map((l) => JSON.parse(l));
    expect(pgn[0].dataset).toBe("pgn-patrickfrank1");
    expect(pgn[0].messages[0].content).toMatch(/^\[WhiteElo "\d+"\]\n\[BlackElo "\d+"\]\n$/);
    // paper-val: unchanged
    expect(lines(at("paper_val/val.jsonl")).length).toBe(2);
    expect(
      readFileSync(at("paper_val/val-gpt3.5-2.json")).equals(readFileSync(join(FIX, "paper_val/val-gpt3.5-2.json"))),
    ).toBe(true);
    // nothing half-written left behind
    const leftovers = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? leftovers(join(d, e.name)) : /\.part(\.json)?$|\.tmp$/.test(e.name) ? [e.name] : [],
      );
    expect(leftovers(dir)).toEqual([]);
  });

  it("records url, revision, the served commit and sha256 of every file in manifest.json", () => {
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    expect(result.manifest).toBe(join(dir, "manifest.json"));
    expect(Object.keys(manifest.data)).toEqual(DATA_NAMES);
    for (const name of DATA_NAMES) {
      const entry = manifest.data[name];
      const files = DATA_SOURCES[name].files as SourceFile[];
      expect(entry.files.length).toBe(files.length);
      files.forEach((f, i) => {
        const rec = entry.files[i];
        expect(rec.url).toBe(sourceUrl(f));
        expect(rec.repo).toBe(f.repo);
        expect(rec.revision).toBe(f.revision);
        expect(rec.path).toBe(f.path);
        expect(rec.sha256).toBe(sha256(fixtureOf(f)));
        expect(rec.bytes).toBe(statSync(fixtureOf(f)).size);
        expect(rec.servedRevision).toBe(f.host === "hf" ? COMMIT : undefined);
      });
      for (const out of entry.outputs) expect(out.sha256).toBe(sha256(join(dir, out.file)));
      expect(Number.isNaN(Date.parse(entry.fetchedAt))).toBe(false);
    }
    expect(manifest.data.lima.outputs.map((o: { file: string }) => o.file)).toEqual([
      "lima/lima_data.jsonl",
      "lima/lima_no_instruction.jsonl",
    ]);
  });

  it("reports progress per file and sends HF_TOKEN to Hugging Face only", () => {
    for (const [f] of served) {
      const last = progress.filter((p) => p.url === sourceUrl(f)).at(-1);
      expect(last, f.path).toEqual(
        expect.objectContaining({
          downloadedBytes: statSync(fixtureOf(f)).size,
          totalBytes: statSync(fixtureOf(f)).size,
        }),
      );
    }
    const lima = server.requests.find((r) => r.path === pathOf("GAIR/lima", "train.jsonl"));
    expect(lima?.authorization).toBe(`Bearer ${TOKEN}`);
    const github = server.requests.filter((r) => r.path.startsWith("gh/"));
    expect(github.length).toBe(3);
    expect(github.every((r) => r.authorization === undefined)).toBe(true);
  });

  it("a second run finds every name complete and asks the server nothing; --force fetches again", async () => {
    const before = server.requests.length;
    const again = await fetchData(["poetry", "paper-val"], { dataDir: dir, onProgress: false });
    expect(again.items.map((i) => i.skipped)).toEqual([true, true]);
    expect(server.requests.length).toBe(before);
    const forced = await fetchData(["poetry"], { dataDir: dir, onProgress: false, force: true });
    expect(forced.items[0].skipped).toBe(false);
    expect(server.requests.length).toBe(before + 1);
    // a manifest written for another revision (an older version of sources.ts) is fetched again
    const manifestPath = join(dir, "manifest.json");
    const m = JSON.parse(readFileSync(manifestPath, "utf8"));
    m.data["paper-val"].files[0].revision = "0000000000000000000000000000000000000000";
    writeFileSync(manifestPath, JSON.stringify(m));
    const moved = await fetchData(["paper-val"], { dataDir: dir, onProgress: false });
    expect(moved.items[0].skipped).toBe(false);
    expect(JSON.parse(readFileSync(manifestPath, "utf8")).data["paper-val"].files[0].revision).toBe(
      DATA_SOURCES["paper-val"].files[0].revision,
    );
  });
});

describe("interrupted transfers and errors", () => {
  it("resumes a truncated download with a Range request; what finished before the cut stays recorded", async () => {
    const dir = tempDir();
    const path = pathOf("openai/gsm8k", "main/train-00000-of-00001.parquet");
    const fixture = server.files[path].file;
    const size = statSync(fixture).size;
    server.files[path].cutAfter = 300;
    try {
      const err = await fetchData(["poetry", "gsm8k"], { dataDir: dir, onProgress: false }).catch((e) => e);
      expect(err).toBeInstanceOf(DatasetError);
      expect(err.code).toBe("DATA_DOWNLOAD_TRUNCATED");
      expect(err.message).toContain(`${server.url}/${path}`);
      expect(err.suggestion).toMatch(/rerun the same command: it resumes from the 300 bytes/);
    } finally {
      delete server.files[path].cutAfter;
    }
    const dest = join(dir, "gsm8k/source/train-00000-of-00001.parquet");
    expect(existsSync(dest)).toBe(false); // never a file that looks whole
    expect(statSync(`${dest}.part`).size).toBe(300);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")).data)).toEqual(["poetry"]);

    server.requests.length = 0;
    const r = await fetchData(["gsm8k"], { dataDir: dir, onProgress: false });
    expect(server.requests).toEqual([expect.objectContaining({ path, range: "bytes=300-" })]);
    expect(readFileSync(dest).equals(readFileSync(fixture))).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(r.items[0].files[0]).toEqual(expect.objectContaining({ bytes: size, sha256: sha256(fixture) }));
    expect(lines(join(dir, "gsm8k/gsm8k.jsonl")).length).toBeGreaterThan(0);
  });

  it("a part of a file that changed since (If-Range) or of another URL is not resumed", async () => {
    const dir = tempDir();
    const path = pathOf("merve/poetry", "poetry.csv");
    const was = server.files[path];
    const dest = join(dir, "poetry/source/poetry.csv");
    const changed = join(dir, "changed.csv");
    const old = readFileSync(was.file, "utf8");
    writeFileSync(
      changed,
      old.replace(/^[^\n]*\n/, (header) => header + 'Another,"A new first poem.",New poem,Modern,Love\n'),
    );
    try {
      server.files[path] = { ...was, cutAfter: 100 };
      await expect(fetchData(["poetry"], { dataDir: dir, onProgress: false })).rejects.toThrow(/stopped after 100/);
      server.files[path] = { ...was, file: changed };
      server.requests.length = 0;
      await fetchData(["poetry"], { dataDir: dir, onProgress: false });
      expect(server.requests[0]).toEqual(
        expect.objectContaining({ range: "bytes=100-", ifRange: `"${sha256(was.file)}"` }),
      );
      expect(readFileSync(dest, "utf8")).toBe(readFileSync(changed, "utf8")); // not 100 old bytes + the new rest

      // a part left by another URL (another revision or endpoint) is started over, not resumed
      server.files[path] = { ...was, cutAfter: 100 };
      await expect(fetchData(["poetry"], { dataDir: dir, onProgress: false, force: true })).rejects.toThrow(
        /stopped after 100/,
      );
      server.files[path] = was;
      process.env.HF_ENDPOINT = `${server.url}/mirror`; // the same file at another URL
      server.files[`mirror/${path}`] = was;
      server.requests.length = 0;
      await fetchData(["poetry"], { dataDir: dir, onProgress: false, force: true });
      expect(server.requests[0].range).toBeUndefined();
      expect(readFileSync(dest).equals(readFileSync(was.file))).toBe(true);
    } finally {
      server.files[path] = was;
    }
  });

  it("a part that no longer fits the file (server answers 416) starts over", async () => {
    const dir = tempDir();
    const dest = join(dir, "poetry/source/poetry.csv");
    const fixture = join(FIX, "poetry/poetry.csv");
    await fetchData(["poetry"], { dataDir: dir, onProgress: false }); // creates the directory
    writeFileSync(`${dest}.part`, Buffer.alloc(statSync(fixture).size + 10));
    writeFileSync(`${dest}.part.json`, JSON.stringify({ url: sourceUrl(DATA_SOURCES.poetry.files[0]) })); // a part of this very URL
    server.requests.length = 0;
    await fetchData(["poetry"], { dataDir: dir, onProgress: false, force: true });
    expect(server.requests.map((r) => r.range)).toEqual([`bytes=${statSync(fixture).size + 10}-`, undefined]); // 416, then all of it
    expect(readFileSync(dest).equals(readFileSync(fixture))).toBe(true);
  });

  it("follows Hugging Face's redirect of an LFS file to its CDN: the commit is kept, the token is not sent on", async () => {
    const cdn = await startDataServer({ "blob/lima": { file: join(FIX, "lima/train.jsonl") } });
    const path = pathOf("GAIR/lima", "train.jsonl");
    const was = server.files[path];
    server.files[path] = { ...was, redirect: `${cdn.url}/blob/lima` };
    process.env.HF_TOKEN = TOKEN;
    try {
      const r = await fetchData(["lima"], { dataDir: tempDir(), onProgress: false });
      expect(r.items[0].files[0].servedRevision).toBe(COMMIT);
      expect(r.items[0].files[0].sha256).toBe(sha256(join(FIX, "lima/train.jsonl")));
      expect(server.requests.at(-1)).toEqual(expect.objectContaining({ path, authorization: `Bearer ${TOKEN}` }));
      expect(cdn.requests).toEqual([expect.objectContaining({ path: "blob/lima", authorization: undefined })]);
    } finally {
      server.files[path] = was;
      await cdn.close();
    }
  });

  it("gated LIMA: 401 without HF_TOKEN and 403 with a token lacking access name the page to accept its terms", async () => {
    const dir = tempDir();
    delete process.env.HF_TOKEN;
    const e401 = await fetchData(["lima"], { dataDir: dir, onProgress: false }).catch((e) => e);
    expect(e401.code).toBe("DATA_ACCESS_DENIED");
    expect(e401.message).toContain(`${server.url}/${pathOf("GAIR/lima", "train.jsonl")}: HTTP 401`);
    expect(e401.message).toContain("no token was sent: HF_TOKEN is not set");
    expect(e401.suggestion).toContain("https://huggingface.co/datasets/GAIR/lima");
    process.env.HF_TOKEN = "hf_someone_else";
    const e403 = await fetchData(["lima"], { dataDir: dir, onProgress: false }).catch((e) => e);
    expect(e403.code).toBe("DATA_ACCESS_DENIED");
    expect(e403.message).toMatch(/HTTP 403.*the token sent has no access/);
    expect(existsSync(join(dir, "lima/lima_data.jsonl"))).toBe(false);
    // the token `huggingface-cli login` saved in HF_HOME is used when HF_TOKEN is not set
    delete process.env.HF_TOKEN;
    writeFileSync(join(process.env.HF_HOME!, "token"), `${TOKEN}\n`);
    try {
      await fetchData(["lima"], { dataDir: dir, onProgress: false });
    } finally {
      writeFileSync(join(process.env.HF_HOME!, "token"), "");
    }
    expect(lines(join(dir, "lima/lima_data.jsonl")).length).toBe(3);
  });

  it("an unreachable endpoint, a missing file and an unknown name are typed errors naming the URL or name", async () => {
    const dir = tempDir();
    process.env.IIT_GITHUB_ENDPOINT = "http://127.0.0.1:9";
    const down = await fetchData(["paper-val"], { dataDir: dir, onProgress: false }).catch((e) => e);
    expect(down.code).toBe("DATA_UNREACHABLE");
    expect(down.message).toContain("http://127.0.0.1:9/john-hewitt/implicit-ins/");
    expect(down.suggestion).toContain("IIT_GITHUB_ENDPOINT");

    process.env.IIT_GITHUB_ENDPOINT = `${server.url}/elsewhere`;
    const missing = await fetchData(["paper-val"], { dataDir: dir, onProgress: false }).catch((e) => e);
    expect(missing.code).toBe("DATA_DOWNLOAD_FAILED");
    expect(missing.message).toMatch(/\/elsewhere\/john-hewitt\/implicit-ins\/.*: HTTP 404/);

    const n = server.requests.length;
    const unknown = await fetchData(["gsm8k", "alpaca"], { dataDir: dir, onProgress: false }).catch((e) => e);
    expect(unknown.code).toBe("DATA_UNKNOWN_NAME");
    expect(unknown.message).toContain("alpaca");
    expect(unknown.suggestion).toContain("alpaca-eval");
    expect(server.requests.length).toBe(n); // checked before anything is downloaded
  });

  it("a manifest that is not ours is refused and left as it is", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "manifest.json"), "not json");
    const err = await fetchData(["poetry"], { dataDir: dir, onProgress: false }).catch((e) => e);
    expect(err.code).toBe("DATA_MALFORMED");
    expect(readFileSync(join(dir, "manifest.json"), "utf8")).toBe("not json");
  });
});

const paperLima = join(sharedDir, "data", "lima", "lima_data.jsonl");
const realBaseline = join(sharedDir, "data", "alpaca_eval", "gpt4_1106_preview.model_outputs.json");

describe.skipIf(!existsSync(paperLima) || !existsSync(realBaseline))("on the real data (../shared/data)", () => {
  it("LIMA comes out byte for byte as the paper's repository ships it (new_lima/), from GAIR's train.jsonl format", async () => {
    // GAIR's train.jsonl holds each conversation as a list of strings; rebuild it from the paper's file.
    const dir = tempDir();
    const raw = join(dir, "train.jsonl");
    const convs = lines(paperLima).map((l) => ({
      conversations: JSON.parse(l).messages.map((m: { content: string }) => m.content),
      source: "x",
    }));
    writeFileSync(raw, convs.map((c) => JSON.stringify(c)).join("\n") + "\n");
    const path = pathOf("GAIR/lima", "train.jsonl");
    const was = server.files[path].file;
    server.files[path].file = raw;
    process.env.HF_TOKEN = TOKEN;
    try {
      await fetchData(["lima"], { dataDir: join(dir, "data"), onProgress: false });
    } finally {
      server.files[path].file = was;
    }
    expect(readFileSync(join(dir, "data/lima/lima_data.jsonl")).equals(readFileSync(paperLima))).toBe(true);
    expect(
      readFileSync(join(dir, "data/lima/lima_no_instruction.jsonl")).equals(
        readFileSync(join(sharedDir, "data/lima/lima_no_instruction.jsonl")),
      ),
    ).toBe(true);
  });

  it("AlpacaEval 2's baseline file: 805 instructions, and the sha256 the pinned revision has upstream", async () => {
    const dir = tempDir();
    const path = pathOf("tatsu-lab/alpaca_eval", "alpaca_eval_gpt4_baseline.json");
    const was = server.files[path].file;
    server.files[path].file = realBaseline;
    try {
      const r = await fetchData(["alpaca-eval"], { dataDir: dir, onProgress: false });
      // the published sha256 of alpaca_eval_gpt4_baseline.json at 2edc6fad (= results/gpt4_1106_preview/model_outputs.json on GitHub)
      expect(r.items[0].files[0].sha256).toBe("83db546b872ddebee8965fd05fa48461ee3c32bc695c62fb57f2d214ff741ec4");
      expect(r.items[0].outputs.find((o) => o.file === "alpaca_eval/instructions.jsonl")?.rows).toBe(805);
    } finally {
      server.files[path].file = was;
    }
  });
});

describe("iit data get (the CLI)", () => {
  const env = () => ({ HF_ENDPOINT: server.url, IIT_GITHUB_ENDPOINT: server.github, HF_TOKEN: "", HF_HOME: tempDir() });

  it("downloads into IIT_DATA_DIR with progress on stderr and --json on stdout", async () => {
    const dir = tempDir();
    const r = await iitAsync(["data", "get", "paper-val", "poetry", "--json"], {
      env: { ...env(), IIT_DATA_DIR: dir },
    });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out.dataDir).toBe(dir);
    expect(out.items.map((i: { name: string }) => i.name)).toEqual(["paper-val", "poetry"]);
    expect(r.stderr).toContain(`downloading ${server.github}/john-hewitt/implicit-ins/`);
    expect(r.stderr).toContain(`downloaded ${join(dir, "poetry/source/poetry.csv")}`);
    expect(existsSync(join(dir, "poetry/poetry.jsonl"))).toBe(true);

    const again = await iitAsync(["data", "get", "poetry", "--data-dir", dir], { env: env() });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("");
    expect(again.stderr).toContain(`poetry: have ${dir}/poetry/poetry.jsonl`);
  });

  it("a download killed mid-transfer (SIGKILL) leaves only FILE.part; the same command resumes it", async () => {
    const dir = tempDir();
    const path = pathOf("merve/poetry", "poetry.csv");
    const big = join(dir, "big.csv");
    // a poetry.csv (merve/poetry's columns) of ~200 KB (the real one is 606 kB), served at 20 KB/s
    const poem = (i: number) => `Someone,"${"A line of verse, and another.\n".repeat(3)}",Poem ${i},Modern,Love`;
    writeFileSync(
      big,
      ["author,content,poem name,age,type", ...Array.from({ length: 2000 }, (_, i) => poem(i))].join("\n") + "\n",
    );
    const was = server.files[path];
    server.files[path] = { file: big, throttle: 1000 };
    const part = join(dir, "data/poetry/source/poetry.csv.part");
    try {
      const first = await iitAsync(["data", "get", "poetry", "--data-dir", join(dir, "data")], {
        env: env(),
        onSpawn: (c) => {
          const poll = setInterval(() => {
            if (existsSync(part) && statSync(part).size > 20_000) {
              clearInterval(poll);
              c.kill("SIGKILL");
            }
          }, 20);
        },
      });
      expect(first.signal).toBe("SIGKILL");
      const kept = statSync(part).size;
      expect(kept).toBeGreaterThan(20_000);
      expect(existsSync(join(dir, "data/poetry/source/poetry.csv"))).toBe(false);
      expect(existsSync(join(dir, "data/manifest.json"))).toBe(false);

      server.files[path] = { file: big };
      server.requests.length = 0;
      const second = await iitAsync(["data", "get", "poetry", "--data-dir", join(dir, "data")], { env: env() });
      expect(second.code, second.stderr).toBe(0);
      expect(server.requests.find((r) => r.path === path)?.range).toBe(`bytes=${kept}-`);
      expect(readFileSync(join(dir, "data/poetry/source/poetry.csv")).equals(readFileSync(big))).toBe(true);
      expect(lines(join(dir, "data/poetry/poetry.jsonl")).length).toBe(1000); // the paper's cap
    } finally {
      server.files[path] = was;
    }
  });

  it("Ctrl-C (SIGINT) stops a download, keeps the part, exits 130 and says how to resume", async () => {
    const dir = tempDir();
    const path = pathOf("merve/poetry", "poetry.csv");
    const big = join(dir, "big.csv");
    writeFileSync(
      big,
      "author,content,poem name,age,type\n" + "Someone,A line of verse.,Poem,Modern,Love\n".repeat(4000),
    );
    const was = server.files[path];
    server.files[path] = { file: big, throttle: 1000 };
    const part = join(dir, "data/poetry/source/poetry.csv.part");
    try {
      const r = await iitAsync(["data", "get", "poetry", "--data-dir", join(dir, "data")], {
        env: env(),
        onSpawn: (c) => {
          const poll = setInterval(() => {
            if (existsSync(part) && statSync(part).size > 5_000) {
              clearInterval(poll);
              c.kill("SIGINT");
            }
          }, 20);
        },
      });
      expect(r.code).toBe(130);
      expect(r.stderr).toMatch(/error \[ABORTED\]: download of .*poetry\.csv aborted; rerun to resume from \d+ bytes/);
      expect(statSync(part).size).toBeGreaterThan(5_000);
      expect(existsSync(join(dir, "data/poetry/source/poetry.csv"))).toBe(false);
    } finally {
      server.files[path] = was;
    }
  });

  it("a gated name without HF_TOKEN exits 1 with the code, the URL and the page, no stack trace", async () => {
    const dir = tempDir();
    const r = await iitAsync(["data", "get", "lima", "--data-dir", dir], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("DATA_ACCESS_DENIED");
    expect(r.stderr).toContain("/datasets/GAIR/lima/resolve/main/train.jsonl");
    expect(r.stderr).toContain("https://huggingface.co/datasets/GAIR/lima");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe("");
  });
});

describe("docs/data.md", () => {
  it("lists every source file of sources.ts with its revision, path and destination", () => {
    const md = readFileSync(join(repoRoot, "docs", "data.md"), "utf8");
    for (const name of DATA_NAMES) {
      for (const f of DATA_SOURCES[name].files as SourceFile[]) {
        const row = new RegExp(
          `^\\| \`${name}\` \\| [^|]*\`${f.repo}\`[^|]* \\| \`${f.revision}\` \\| \`${f.path}\` \\| \`${f.saveAs}\` \\|$`,
          "m",
        );
        expect(md, `${name} ${f.path}`).toMatch(row);
      }
    }
  });
});

describe("a missing input that iit data get makes", () => {
  it("is mapped to its name", () => {
    expect(dataNameFor("/x/data/lima/lima_no_instruction.jsonl")).toBe("lima");
    expect(dataNameFor("../data/alpaca_eval/df_gamed.csv")).toBe("alpaca-eval-lc");
    expect(dataNameFor("../data/chess/pgn.jsonl")).toBe("chess");
    expect(dataNameFor("/x/lima_data.jsonl")).toBeUndefined();
  });

  it("makes `experiment run` of the paper's config say which `iit data get` fetches it", () => {
    const dir = tempDir();
    const cfg = JSON.parse(readFileSync(join(repoRoot, "examples", "paper-llama2.json"), "utf8"));
    writeFileSync(join(dir, "paper.json"), JSON.stringify({ ...cfg, output: join(dir, "out") }));
    const r = iit([
      "experiment",
      "run",
      join(dir, "paper.json"),
      "--only",
      "instruction-tuned/convert",
      "--only",
      "single-task-gsm/convert",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("EXPERIMENT_INPUT_MISSING");
    expect(r.stderr).toContain("`iit data get lima gsm8k` downloads the paper's data");
  });
});
