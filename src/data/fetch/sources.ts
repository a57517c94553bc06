// Every file `iit data get` downloads, at which revision, and what it is turned into: the single
// source of truth for docs/data.md's table. Revisions are full commit ids where the public record
// gives one; "main" or a Hub conversion ref otherwise (the revision the server actually served,
// its X-Repo-Commit header, is recorded in manifest.json beside it).

/** Where a file comes from: a Hugging Face dataset repository or a GitHub repository. */
export interface SourceFile {
  host: "hf" | "github";
  /** owner/name */
  repo: string;
  revision: string;
  /** Path inside the repository. */
  path: string;
  /** Where it is saved, relative to the data directory. */
  saveAs: string;
}

/** What is built from the downloaded files once they are all on disk (relative paths). */
export type Product =
  /** The downloaded file is itself the product, checked to parse as `kind`. */
  | { kind: "json-array" | "jsonl" | "csv" | "text"; file: string; minRows?: number }
  /** `iit data convert --format F` of `from` into `to` (the paper's cap for F), optionally response-only too. */
  | {
      kind: "convert";
      format: "lima" | "gsm8k" | "mbpp" | "poetry" | "recipes" | "pgn";
      from: string;
      to: string;
      noInstruction?: string;
    }
  /** The instructions of an AlpacaEval JSON array as prompts JSONL ({"instruction", "dataset"}). */
  | { kind: "instructions"; from: string; to: string };

export interface DataSource {
  description: string;
  files: SourceFile[];
  products: Product[];
  /** A gated Hugging Face dataset: the page where its terms are accepted (HF_TOKEN of that account). */
  gatedPage?: string;
}

const ALPACA_EVAL_HF = "2edc6fad8be6b14ea7230aabfd08188da6b8b814";
const ALPACA_EVAL_GITHUB = "cd543a149df89434d8a54582c0151c0b945c3d20";
const IMPLICIT_INS = "fe1c2d8d5d66e44bb7c51cf47a5921e08a4b500d";

export const DATA_SOURCES = {
  "alpaca-eval": {
    description:
      "AlpacaEval's 805 instructions with the AlpacaEval 2 baseline outputs (gpt4_1106_preview) and the judge prompt",
    files: [
      {
        host: "hf",
        repo: "tatsu-lab/alpaca_eval",
        revision: ALPACA_EVAL_HF,
        path: "alpaca_eval_gpt4_baseline.json",
        saveAs: "alpaca_eval/gpt4_1106_preview.model_outputs.json",
      },
      {
        host: "github",
        repo: "tatsu-lab/alpaca_eval",
        revision: ALPACA_EVAL_GITHUB,
        path: "src/alpaca_eval/evaluators_configs/alpaca_eval_clf_gpt4_turbo/alpaca_eval_clf.txt",
        saveAs: "alpaca_eval/alpaca_eval_clf_gpt4_turbo.txt",
      },
    ],
    products: [
      { kind: "json-array", file: "alpaca_eval/gpt4_1106_preview.model_outputs.json", minRows: 1 },
      { kind: "text", file: "alpaca_eval/alpaca_eval_clf_gpt4_turbo.txt" },
      {
        kind: "instructions",
        from: "alpaca_eval/gpt4_1106_preview.model_outputs.json",
        to: "alpaca_eval/instructions.jsonl",
      },
    ],
  },
  "alpaca-eval-lc": {
    description: "the inputs of AlpacaEval 2's length-controlled win rate (df_gamed.csv, instruction_difficulty.csv)",
    files: [
      {
        host: "hf",
        repo: "tatsu-lab/alpaca_eval",
        revision: ALPACA_EVAL_HF,
        path: "df_gamed.csv",
        saveAs: "alpaca_eval/df_gamed.csv",
      },
      {
        host: "hf",
        repo: "tatsu-lab/alpaca_eval",
        revision: ALPACA_EVAL_HF,
        path: "instruction_difficulty.csv",
        saveAs: "alpaca_eval/instruction_difficulty.csv",
      },
    ],
    products: [
      { kind: "csv", file: "alpaca_eval/df_gamed.csv", minRows: 1 },
      { kind: "csv", file: "alpaca_eval/instruction_difficulty.csv", minRows: 1 },
    ],
  },
  lima: {
    description: "LIMA (gated: HF_TOKEN) as the paper trains on it: lima_data.jsonl and lima_no_instruction.jsonl",
    gatedPage: "https://huggingface.co/datasets/GAIR/lima",
    files: [
      { host: "hf", repo: "GAIR/lima", revision: "main", path: "train.jsonl", saveAs: "lima/source/train.jsonl" },
    ],
    products: [
      {
        kind: "convert",
        format: "lima",
        from: "lima/source/train.jsonl",
        to: "lima/lima_data.jsonl",
        noInstruction: "lima/lima_no_instruction.jsonl",
      },
    ],
  },
  gsm8k: {
    description: "GSM8K (openai/gsm8k main train), the paper's first 1000 → gsm8k.jsonl",
    files: [
      {
        host: "hf",
        repo: "openai/gsm8k",
        revision: "main",
        path: "main/train-00000-of-00001.parquet",
        saveAs: "gsm8k/source/train-00000-of-00001.parquet",
      },
    ],
    products: [
      { kind: "convert", format: "gsm8k", from: "gsm8k/source/train-00000-of-00001.parquet", to: "gsm8k/gsm8k.jsonl" },
    ],
  },
  mbpp: {
    description: "MBPP (google-research-datasets/mbpp full train), all 374 → mbpp.jsonl",
    files: [
      {
        host: "hf",
        repo: "google-research-datasets/mbpp",
        revision: "main",
        path: "full/train-00000-of-00001.parquet",
        saveAs: "mbpp/source/train-00000-of-00001.parquet",
      },
    ],
    products: [
      { kind: "convert", format: "mbpp", from: "mbpp/source/train-00000-of-00001.parquet", to: "mbpp/mbpp.jsonl" },
    ],
  },
  recipes: {
    description:
      "Kaggle food recipes (Hieu-Pham/kaggle_food_recipes train, the Hub's Parquet), the first 1000 → kfr.jsonl",
    files: [
      {
        host: "hf",
        repo: "Hieu-Pham/kaggle_food_recipes",
        // the refs/convert/parquet commit holding default/train/0000.parquet (the repository's own CSV has no stable name)
        revision: "71a53392226e496d50c9f7238096fe45a1d1f5e9",
        path: "default/train/0000.parquet",
        saveAs: "recipes/source/0000.parquet",
      },
    ],
    products: [{ kind: "convert", format: "recipes", from: "recipes/source/0000.parquet", to: "recipes/kfr.jsonl" }],
  },
  poetry: {
    description: "merve/poetry poetry.csv, 571 named poems → poetry.jsonl",
    files: [
      {
        host: "hf",
        repo: "merve/poetry",
        revision: "2ab6a7706ae3084b65a1886729e85e2ec00d710c",
        path: "poetry.csv",
        saveAs: "poetry/source/poetry.csv",
      },
    ],
    products: [{ kind: "convert", format: "poetry", from: "poetry/source/poetry.csv", to: "poetry/poetry.jsonl" }],
  },
  chess: {
    description:
      "patrickfrank1/chess-pgn-games train (the Hub's Parquet, first shard), the first 1000 complete games → pgn.jsonl",
    files: [
      {
        host: "hf",
        repo: "patrickfrank1/chess-pgn-games",
        revision: "refs/convert/parquet",
        path: "default/train/0000.parquet",
        saveAs: "chess/source/0000.parquet",
      },
    ],
    products: [{ kind: "convert", format: "pgn", from: "chess/source/0000.parquet", to: "chess/pgn.jsonl" }],
  },
  "paper-val": {
    description:
      "the paper's 56 validation instructions and their GPT-3.5 references (john-hewitt/implicit-ins eval/val_eval)",
    files: [
      {
        host: "github",
        repo: "john-hewitt/implicit-ins",
        revision: IMPLICIT_INS,
        path: "eval/val_eval/val.jsonl",
        saveAs: "paper_val/val.jsonl",
      },
      {
        host: "github",
        repo: "john-hewitt/implicit-ins",
        revision: IMPLICIT_INS,
        path: "eval/val_eval/val-gpt3.5-2.json",
        saveAs: "paper_val/val-gpt3.5-2.json",
      },
    ],
    products: [
      { kind: "jsonl", file: "paper_val/val.jsonl", minRows: 1 },
      { kind: "json-array", file: "paper_val/val-gpt3.5-2.json", minRows: 1 },
    ],
  },
} satisfies Record<string, DataSource>;

export type DataName = keyof typeof DATA_SOURCES;
export const DATA_NAMES = Object.keys(DATA_SOURCES) as DataName[];

/** `${HF_ENDPOINT:-https://huggingface.co}` and `${IIT_GITHUB_ENDPOINT:-https://raw.githubusercontent.com}`, without a trailing slash. */
export function endpoint(host: SourceFile["host"]): string {
  const base =
    host === "hf"
      ? process.env.HF_ENDPOINT || "https://huggingface.co"
      : process.env.IIT_GITHUB_ENDPOINT || "https://raw.githubusercontent.com";
  return base.replace(/\/+$/, "");
}

/** The download URL of a file; a ref name such as refs/convert/parquet is one path segment, escaped. */
export function sourceUrl(f: SourceFile): string {
  const path = f.path.split("/").map(encodeURIComponent).join("/");
  const rev = encodeURIComponent(f.revision);
  return f.host === "hf"
    ? `${endpoint("hf")}/datasets/${f.repo}/resolve/${rev}/${path}`
    : `${endpoint("github")}/${f.repo}/${rev}/${path}`;
}

/** Every file a name leaves in the data directory (downloads and built files), relative to it. */
export function filesOf(name: DataName): string[] {
  const source: DataSource = DATA_SOURCES[name];
  const built = source.products.flatMap((p) =>
    "file" in p ? [p.file] : [p.to, ...("noInstruction" in p && p.noInstruction ? [p.noInstruction] : [])],
  );
  return [...new Set([...source.files.map((f) => f.saveAs), ...built])];
}

/** The name whose `iit data get` makes this file (matched on its last two path segments), if any. */
export function dataNameFor(path: string): DataName | undefined {
  const tail = path.split(/[\\/]/).slice(-2).join("/");
  return DATA_NAMES.find((n) => filesOf(n).includes(tail));
}
