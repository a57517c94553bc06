// Issue 23 item 4: `iit chat` through piped stdin (a real process; replies compared with in-process generation).
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Message } from "../../../src/data/template.js";
import { loadModel } from "../../../src/model/Model.js";
import { loadRules } from "../../../src/rules/loadRules.js";
import { cliPath, repoRoot, skipNoModel, storiesModel } from "../../helpers/fixtures.js";

const skip = skipNoModel || (existsSync(cliPath) ? false : "CLI not built (npm run build:ts)");

/** `iit chat` with stdin as a pipe; `drive` writes to it and may signal the process. */
function chat(
  args: string[],
  drive: (p: {
    write: (s: string) => void;
    end: () => void;
    out: () => string;
    err: () => string;
    kill: (s: NodeJS.Signals) => void;
  }) => void,
) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const c = spawn(process.execPath, [cliPath, "chat", "-m", storiesModel, "-t", "1", ...args], { cwd: repoRoot });
    let stdout = "";
    let stderr = "";
    c.stdout.on("data", (d) => (stdout += d));
    c.stderr.on("data", (d) => (stderr += d));
    c.on("error", reject);
    c.on("close", (code) => resolve({ code, stdout, stderr }));
    drive({
      write: (s) => c.stdin.write(s),
      end: () => c.stdin.end(),
      out: () => stdout,
      err: () => stderr,
      kill: (s) => c.kill(s),
    });
  });
}

const until = async (cond: () => boolean, ms = 60_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.skipIf(skip)("iit chat (piped stdin)", () => {
  it("answers each line in the template with the whole conversation; /rules switches the adapter; /top shows both distributions", async () => {
    const u1 = "Tell me a story";
    const u2 = "What happened next?";
    const r = await chat(["-n", "30"], (p) => {
      p.write(`${u1}\n/rules\n${u2}\n/top\n/exit\n`);
    });
    expect(r.code, r.stderr).toBe(0);
    let a1: string;
    let a2: string;
    {
      await using model = await loadModel({ model: storiesModel, threads: 1 });
      [{ output: a1 }] = await model.generate({ instruction: u1 }, { maxTokens: 30 });
      const conversation: Message[] = [
        { role: "user", content: u1 },
        { role: "assistant", content: a1 },
        { role: "user", content: u2 },
      ];
      [{ output: a2 }] = await model.generate(
        { instruction: u2, messages: conversation },
        { maxTokens: 30, rules: loadRules("hewitt2024") },
      );
      // the second reply depends on the first turn: without it the model says something else
      const [{ output: alone }] = await model.generate(
        { instruction: u2 },
        { maxTokens: 30, rules: loadRules("hewitt2024") },
      );
      expect(alone).not.toBe(a2);
    }
    expect(r.stdout.startsWith(`${a1}\n${a2}\n`), r.stdout).toBe(true);
    expect(r.stderr).toMatch(/rules off \(hewitt2024\)[\s\S]*rules on \(hewitt2024\)/);

    const table = r.stdout.slice(`${a1}\n${a2}\n`.length).trimEnd().split("\n");
    expect(table[0]).toMatch(/without rules\s+with rules \(hewitt2024\)/);
    expect(table).toHaveLength(11); // header + --candidates 10
    const logprobs = table.slice(1).map((l) => [...l.matchAll(/ (-\d+\.\d{3})/g)].map((m) => Number(m[1])));
    for (const [without, withRules] of logprobs) {
      expect(without).toBeLessThanOrEqual(0);
      expect(withRules).toBeLessThanOrEqual(0);
    }
    // the adapter acts on the first token of the reply: its distribution differs from the model's
    expect(logprobs.some(([a, b]) => Math.abs(a - b) > 0.01)).toBe(true);
  });

  it("refuses --template model on a GGUF without a chat template before the first message", async () => {
    const r = await chat(["--template", "model"], (p) => p.write("Hello\n"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /iit: error \[NO_CHAT_TEMPLATE\]: .*stories260K\.gguf has no chat template[\s\S]*try: use --template tulu/,
    );
    expect(r.stdout).toBe("");
  });

  it("leaves out the oldest exchanges, with a note, when the conversation outgrows --context-size", async () => {
    const r = await chat(["-n", "8", "--context-size", "64"], (p) => {
      p.write("Tell me a story about a cat\nAnd then what happened\nTell me more about the dog\nWhat did Lily say\n");
      p.end();
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/the oldest \d+ exchange\(s\) no longer fit the context/);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.stdout.split("\n").filter(Boolean).length).toBeGreaterThanOrEqual(4);
  });

  it("Ctrl-C stops the reply at once, not the chat; a message too long for the context is an error, not the end", async () => {
    let stoppedAt = 0;
    let signalled = 0;
    let second = "";
    const r = await chat(["-n", "4000", "--context-size", "4096"], (p) => {
      void (async () => {
        p.write("Once upon a time\n");
        await until(() => p.out().length > 200);
        signalled = performance.now();
        p.kill("SIGINT");
        await until(() => /reply stopped/.test(p.err()));
        stoppedAt = performance.now();
        const before = p.out().length;
        p.write(`${"word ".repeat(5000)}\nLily\n`);
        await until(() => p.out().length > before + 200); // the chat goes on: the next reply streams
        second = p.out().slice(before);
        p.kill("SIGINT");
        await until(() => p.err().match(/reply stopped/g)?.length === 2);
        p.end();
      })();
    });
    expect(r.code, r.stderr).toBe(0);
    expect(stoppedAt - signalled).toBeLessThan(2000); // 4000 tokens would take ~15 s more
    expect(r.stderr).toMatch(/iit: error \[PROMPT_TOO_LONG\]/);
    expect(r.stderr).not.toMatch(/unexpected| {4}at /);
    // after the stopped reply and the refused message, "Lily" is answered in the same conversation
    expect(second.trim().length).toBeGreaterThan(100);
  });
});

const hasPython = spawnSync("python3", ["-c", "import pty"]).status === 0;

describe.skipIf(skip || (hasPython ? false : "python3 (its pty module drives the terminal) not found"))(
  "iit chat in a terminal (a real pseudo-terminal)",
  () => {
    it("prompts, streams the reply, Ctrl-C (the key) stops the reply and the chat goes on", () => {
      const spec = {
        cmd: [process.execPath, cliPath, "chat", "-m", storiesModel, "-t", "1", "-n", "4000", "--context-size", "4096"],
        steps: [
          ["lists the commands[\\s\\S]*> ", "Once upon a time\r"],
          ["Once upon a time\\r*\\n[\\s\\S]{200}", "\u0003"], // 200 characters of the reply (the echo ends \r\r\n), then Ctrl-C
          ["reply stopped[\\s\\S]*> ", "/rules\r"],
          ["rules on \\(hewitt2024\\)[\\s\\S]*> ", "/exit\r"],
        ],
        timeout: 60,
      };
      const r = spawnSync("python3", [join(repoRoot, "test", "helpers", "pty-run.py"), JSON.stringify(spec)], {
        encoding: "utf8",
        timeout: 120_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const run = JSON.parse(r.stdout) as { transcript: string; status: number; timed_out: boolean };
      expect(run.timed_out, run.transcript.slice(-500)).toBe(false);
      expect(run.status).toBe(0);
      expect(run.transcript).toMatch(/reply stopped/);
      expect(run.transcript).not.toMatch(/interrupted|unexpected/);
    });
  },
);
