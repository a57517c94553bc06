// Real processes for the server and judge tests: async, so a loopback proxy in the test process keeps running.
import { spawn, type ChildProcess } from "node:child_process";
import { cliPath, repoRoot } from "../../helpers/fixtures.js";

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  json: () => any;
}

/** Runs the CLI without blocking the event loop; `onSpawn` gets the child (to interrupt it). */
export function iitAsync(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; onSpawn?: (c: ChildProcess) => void } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [cliPath, ...args], { cwd: repoRoot, env: { ...process.env, ...opts.env } });
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (d) => (stdout += d));
    c.stderr.on("data", (d) => (stderr += d));
    c.on("error", reject);
    c.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, json: () => JSON.parse(stdout) }));
    opts.onSpawn?.(c);
  });
}

export interface ServeProcess {
  url: string;
  port: number;
  model: string;
  proc: ChildProcess;
  stderr: () => string;
  stop: () => Promise<number | null>;
}

/** Starts `iit serve --port 0 --json …` and resolves once it prints where it listens. */
export function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [cliPath, "serve", "--port", "0", "--json", ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
    let out = "";
    let err = "";
    const exited = new Promise<number | null>((r) => proc.on("close", (code) => r(code)));
    const timer = setTimeout(() => reject(new Error(`iit serve did not start: ${err}`)), 60_000);
    proc.stderr.on("data", (d) => (err += d));
    proc.stdout.on("data", (d) => {
      out += d;
      try {
        const info = JSON.parse(out);
        clearTimeout(timer);
        resolve({
          ...info,
          proc,
          stderr: () => err,
          stop: async () => {
            if (proc.exitCode === null) proc.kill("SIGTERM");
            return exited;
          },
        });
      } catch {
        /* not the whole object yet */
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`iit serve exited with ${code}: ${err}`));
    });
  });
}

/** POSTs JSON and returns status, headers and the parsed body. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}
