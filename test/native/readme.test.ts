// README.md's "From the Node REPL" block, typed into a real `node` REPL from the repository's folder:
// every name it uses must exist in the public API and every line must run on stories260K.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startDataServer } from "../helpers/dataServer.js";
import { hasStories, repoRoot, skipNoModel, tempDir } from "../helpers/fixtures.js";

/** The first ```js block after the heading. */
export function readmeBlock(heading: string): string {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no heading "${heading}"`);
  const m = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!m) throw new Error(`no js block under "${heading}"`);
  return m[1];
}

/** Types `code` into `node --interactive` a line at a time, each after the REPL shows its prompt, as a person would. */
function repl(code: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  const lines = code.split("\n");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--interactive"], {
      cwd: repoRoot,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let output = "";
    let seen = 0;
    let next = 0;
    const pump = () => {
      if (!/(> |\.\.\. )$/.test(output.slice(seen))) return; // still evaluating (an await)
      seen = output.length;
      if (next < lines.length) child.stdin.write(`${lines[next++]}\n`);
      else child.stdin.end(".exit\n");
    };
    child.stdout.on("data", (d) => {
      output += d;
      pump();
    });
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (c) => resolve({ code: c, output }));
  });
}

describe.skipIf(skipNoModel || !hasStories)("README: the Node REPL section", () => {
  it("runs line by line in a node REPL, ending with a win rate", { timeout: 600_000 }, async () => {
    const block = readmeBlock("## From the Node REPL");
    expect(block).toContain('await import("implicit-instruct")');
    const probe = `console.log("RESULT " + JSON.stringify({ stop: r.stopReason, epochs: tuned.epochs.length, pairs: summary.pairs, n_total: iit.computeWinRate(await iit.readAnnotations(dir + "/annotations.json")).n_total }));`;
    // fetchData(["lima"]) gets LIMA (the fixture, in GAIR's format) from a local stand-in for Hugging Face
    const token = "hf_readme_test";
    const server = await startDataServer({
      "datasets/GAIR/lima/resolve/main/train.jsonl": {
        file: join(repoRoot, "test/fixtures/data/lima/train.jsonl"),
        token,
      },
    });
    const data = tempDir();
    const r = await repl(block + probe, { HF_ENDPOINT: server.url, HF_TOKEN: token, IIT_DATA_DIR: data }).finally(() =>
      server.close(),
    );
    expect(readFileSync(join(data, "lima/lima_no_instruction.jsonl"), "utf8")).toContain('"content": ""');
    expect(r.output).not.toMatch(/Uncaught/);
    expect(r.code).toBe(0);
    const line = r.output.split("\n").find((l) => l.includes("RESULT {"));
    expect(line, r.output.slice(-3000)).toBeDefined();
    const out = JSON.parse(line!.slice(line!.indexOf("RESULT ") + 7));
    expect(["eos", "max_tokens"]).toContain(out.stop);
    expect(out.epochs).toBe(1);
    const prompts = readFileSync(join(repoRoot, "examples", "micro-instructions.jsonl"), "utf8")
      .trim()
      .split("\n").length;
    expect(out.pairs).toBe(prompts);
    expect(out.n_total).toBeGreaterThan(0);
  });
});
