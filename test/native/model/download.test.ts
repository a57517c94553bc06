// hf: and URL models download into models/ (or IIT_MODELS_DIR / modelsDir), atomically and with
// progress, from a real HTTP server standing in for Hugging Face through HF_ENDPOINT.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../../src/util/packageRoot.js";
import { ModelLoadError } from "../../../src/errors.js";
import { makeLora } from "../../../src/model/makeLora.js";
import { makeModel } from "../../../src/model/makeModel.js";
import { modelsDir } from "../../../src/model/modelsDir.js";
import { resolveModelPath, type DownloadProgress } from "../../../src/model/resolveModelPath.js";
import { train } from "../../../src/training/train.js";
import {
  cliPath,
  hasStories,
  repoRoot,
  sharedDir,
  skipNoModel,
  storiesModel,
  tempDir,
} from "../../helpers/fixtures.js";
import { startModelServer, type ModelServer } from "../../helpers/modelServer.js";
import { iitAsync } from "../serve/proc.js";

const URI = "hf:iit-test/tiny-stories/stories260K.gguf";
const FILE = "iit-test/tiny-stories/resolve/main/stories260K.gguf";

describe("the models directory", () => {
  it("is the modelsDir option, else IIT_MODELS_DIR, else the package's models/ beside lab-base.gguf", () => {
    const saved = process.env.IIT_MODELS_DIR;
    try {
      delete process.env.IIT_MODELS_DIR;
      expect(modelsDir()).toBe(join(packageRoot, "models"));
      expect(readdirSync(modelsDir())).toContain("lab-base.gguf");
      process.env.IIT_MODELS_DIR = "some/dir";
      expect(modelsDir()).toBe(resolve("some/dir"));
      expect(modelsDir("/opt/models")).toBe("/opt/models");
    } finally {
      if (saved === undefined) delete process.env.IIT_MODELS_DIR;
      else process.env.IIT_MODELS_DIR = saved;
    }
  });

  it("git-ignores downloads and partial downloads there, but not the committed base and README", () => {
    const paths = [
      "hf_owner_model.Q4_K_M.gguf",
      "hf_owner_model.Q4_K_M.gguf.ipull",
      "model.gguf",
      "lab-base.gguf",
      "README.md",
      "lab-base.gguf.train.json",
    ];
    const r = spawnSync("git", ["check-ignore", "--no-index", ...paths.map((p) => `models/${p}`)], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    expect(r.stdout.trim().split("\n").sort()).toEqual(
      ["models/hf_owner_model.Q4_K_M.gguf", "models/hf_owner_model.Q4_K_M.gguf.ipull", "models/model.gguf"].sort(),
    );
  });
});

describe.skipIf(!hasStories)("hf: downloads from a real HTTP endpoint (HF_ENDPOINT)", () => {
  const size = hasStories ? readFileSync(storiesModel).length : 0;
  let server: ModelServer;
  const savedEndpoint = process.env.HF_ENDPOINT;
  beforeAll(async () => {
    server = await startModelServer({ [FILE]: storiesModel });
    process.env.HF_ENDPOINT = server.url;
  });
  afterAll(async () => {
    if (savedEndpoint === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = savedEndpoint;
    await server.close();
  });

  it("downloads hf:owner/repo/file.gguf once into the models directory, reporting progress", async () => {
    const dir = tempDir();
    const seen: DownloadProgress[] = [];
    const path = await resolveModelPath(URI, { modelsDir: dir, onDownloadProgress: (p) => seen.push(p) });
    expect(path.startsWith(dir + "/")).toBe(true);
    expect(readFileSync(path).equals(readFileSync(storiesModel))).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toEqual({ downloadedBytes: size, totalBytes: size });
    expect(readdirSync(dir)).toEqual([path.slice(dir.length + 1)]); // no temp file left behind
    expect(server.requests.some((r) => r === `GET /${FILE}`)).toBe(true);
    const n = server.requests.length;
    expect(await resolveModelPath(URI, { modelsDir: dir, onDownloadProgress: false })).toBe(path);
    expect(server.requests.length).toBe(n); // found on disk: not asked again
  });

  it("a missing file is a typed error naming the URL and what to do", async () => {
    const dir = tempDir();
    const err = await resolveModelPath("hf:iit-test/tiny-stories/missing.gguf", {
      modelsDir: dir,
      onDownloadProgress: false,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect(err.code).toBe("MODEL_RESOLVE_FAILED");
    expect(err.message).toContain(`${server.url}iit-test/tiny-stories/resolve/main/missing.gguf`);
    expect(err.message).toContain("404");
    expect(err.suggestion).toMatch(/HF_ENDPOINT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("an unreachable endpoint names it", async () => {
    const dead = await startModelServer({});
    await dead.close();
    process.env.HF_ENDPOINT = dead.url;
    try {
      const err = await resolveModelPath(URI, { modelsDir: tempDir(), onDownloadProgress: false }).catch((e) => e);
      expect(err).toBeInstanceOf(ModelLoadError);
      expect(err.message).toContain(dead.url);
    } finally {
      process.env.HF_ENDPOINT = server.url;
    }
  });

  it.skipIf(skipNoModel)("train and makeLora take an hf: base as loadModel does", async () => {
    const saved = process.env.IIT_MODELS_DIR;
    process.env.IIT_MODELS_DIR = tempDir();
    try {
      const out = tempDir();
      const lora = await makeLora({ base: URI, output: join(out, "made-lora.gguf"), rank: 2 });
      expect(lora).toBeDefined();
      const lima = join(sharedDir, "data", "lima", "lima_no_instruction.jsonl");
      const res = await train({
        model: URI,
        data: lima,
        mode: "response",
        output: join(out, "rt.gguf"),
        loraRank: 2,
        epochs: 1,
        lr: 1e-3,
        nCtx: 256,
        maxExamples: 4,
        threads: 1,
      });
      expect(Number.isFinite(res.epochs[0].train_loss)).toBe(true);
      expect(readdirSync(process.env.IIT_MODELS_DIR)).toEqual(["hf_iit-test_tiny-stories_stories260K.gguf"]);
    } finally {
      if (saved === undefined) delete process.env.IIT_MODELS_DIR;
      else process.env.IIT_MODELS_DIR = saved;
    }
  });

  it.skipIf(skipNoModel)(
    "a download killed midway (SIGKILL) leaves no file that looks complete; the next run finishes it",
    { timeout: 180_000 },
    async () => {
      // 72 MB: big enough that the downloader writes its NAME.ipull as bytes arrive (a 1 MB file is written whole at the end)
      const dir = tempDir();
      const big = join(tempDir(), "big.gguf");
      await makeModel({ vocab: "llama-spm", output: big, layers: 2, width: 256, heads: 4 });
      const bigFile = "iit-test/big/resolve/main/big.gguf";
      const uri = "hf:iit-test/big/big.gguf";
      const bigSize = statSync(big).size;
      const slow = await startModelServer({ [bigFile]: big }, { throttle: 256 * 1024 });
      try {
        const child = spawn(process.execPath, [cliPath, "inspect", "-m", uri, "--json"], {
          env: { ...process.env, HF_ENDPOINT: slow.url, IIT_MODELS_DIR: dir },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        const exited = once(child, "exit");
        const t0 = Date.now();
        const partial = () => readdirSync(dir).some((f) => f.endsWith(".ipull"));
        while (!(partial() && slow.bytesSent() > bigSize / 3) && Date.now() - t0 < 60_000)
          await new Promise((r) => setTimeout(r, 20));
        child.kill("SIGKILL");
        await exited;
        expect(stderr).toContain(`downloading ${uri}`);
        expect(readdirSync(dir)).toEqual([expect.stringMatching(/\.gguf\.ipull$/)]); // nothing named like the model
      } finally {
        await slow.close();
      }
      // the same command later: the partial file is finished and renamed; stdout stays pure JSON
      const fast = await startModelServer({ [bigFile]: big });
      try {
        const r = await iitAsync(["inspect", "-m", uri, "--json"], {
          env: { HF_ENDPOINT: fast.url, IIT_MODELS_DIR: dir },
        });
        expect(r.code, r.stderr).toBe(0);
        const files = readdirSync(dir);
        expect(files).toEqual([expect.stringMatching(/\.gguf$/)]);
        const path = join(dir, files[0]);
        expect(createHash("sha256").update(readFileSync(path)).digest("hex")).toBe(
          createHash("sha256").update(readFileSync(big)).digest("hex"),
        );
        expect(r.json()).toBeTypeOf("object");
        expect(r.stderr).toContain(`downloaded ${path}`);
      } finally {
        await fast.close();
      }
    },
  );
});
