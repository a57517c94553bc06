import { createInterface } from "node:readline";
import { Command } from "commander";
import { ChatSession, type Candidate } from "../../chat/ChatSession.js";
import { IitError, InvalidOptionError } from "../../errors.js";
import { loadModel } from "../../model/Model.js";
import { placementLine } from "../../model/placement.js";
import { loadRules } from "../../rules/loadRules.js";
import { addModelOptions, modelOptionsFrom, type ModelCliOptions } from "../modelOptions.js";
import { loadProgressBar } from "../progress.js";
import { intOption } from "../util.js";
import { addGenerationOptions, loadExperts, samplingFrom, type GenerationCliOptions } from "./generate.js";

const HELP = `/rules  switch the rule adapter on or off
/top [text]  the likeliest first tokens of the reply to text (default: to your last message), without and with the rules
/reset  start a new conversation
/exit  quit (also Ctrl-D); Ctrl-C stops a reply, not the chat
`;

interface ChatCliOptions extends ModelCliOptions, GenerationCliOptions {
  candidates: number;
}

/** Two columns of candidates, rank by rank. */
function topTable(rules: string, t: { without: Candidate[]; with: Candidate[] }): string {
  const cell = (c?: Candidate) => (c ? `${JSON.stringify(c.text)} ${c.logprob.toFixed(3)}` : "");
  const left = ["without rules", ...t.without.map(cell)];
  const right = [`with rules (${rules})`, ...t.with.map(cell)];
  const w = Math.max(...left.map((l) => l.length));
  return (
    left
      .map((l, i) => `${i === 0 ? "   " : String(i).padStart(2) + " "}${l.padEnd(w)}   ${right[i] ?? ""}`)
      .join("\n") + "\n"
  );
}

export const chatCommand = addGenerationOptions(
  addModelOptions(
    new Command("chat")
      .description(
        "an interactive chat that streams each reply; /rules switches the rule adapter, /top shows the next-token candidates with and without it",
      )
      .option("--candidates <n>", "how many next-token candidates /top shows", intOption("--candidates"), 10),
  ),
).action(async (opts: ChatCliOptions) => {
  const sampling = samplingFrom(opts);
  const rulesName = opts.rules ?? "hewitt2024";
  await using model = await loadModel({ ...modelOptionsFrom(opts), onLoadProgress: loadProgressBar(false) });
  if (sampling.template === "model" && !model.meta.chatTemplate) {
    throw new InvalidOptionError(
      "NO_CHAT_TEMPLATE",
      `${model.path} has no chat template, so --template model cannot format the conversation`,
      {
        suggestion: "use --template tulu (the paper's format) or raw",
      },
    );
  }
  await using experts = await loadExperts(opts);
  const session = new ChatSession(model, {
    generation: { ...sampling, rules: undefined, experts: experts.list },
    rules: sampling.rules ?? loadRules(rulesName),
    rulesOn: !!opts.rules,
  });
  const tty = !!process.stdin.isTTY;
  const say = (m: string) => process.stderr.write(`iit chat: ${m}\n`);
  say(`${placementLine(model.placement)}`);
  say(
    `${model.name}, template ${sampling.template}, rules ${session.rulesOn ? "on" : "off"} (${rulesName}); /help lists the commands`,
  );

  const rl = createInterface({
    input: process.stdin,
    output: tty ? process.stdout : undefined,
    terminal: tty,
    prompt: "> ",
  });
  let replying: AbortController | undefined;
  const interrupt = () => {
    if (replying) replying.abort();
    else if (tty) {
      process.stdout.write("\n");
      say("no reply to stop (/exit or Ctrl-D quits)");
      rl.prompt();
    }
  };
  rl.on("SIGINT", interrupt); // a terminal at the prompt: readline turns Ctrl-C into this event
  process.on("SIGINT", interrupt); // piped stdin, and a terminal during a reply: the signal itself
  // Lines are queued by a listener, so a line that arrives during a reply waits its turn.
  const lines: string[] = [];
  let closed = false;
  let wake = () => {};
  rl.on("line", (l) => (lines.push(l), wake()));
  rl.on("close", () => {
    closed = true;
    wake();
  });
  const next = async (): Promise<string | undefined> => {
    while (lines.length === 0 && !closed) await new Promise<void>((r) => (wake = r));
    return lines.shift();
  };
  // During a reply the terminal leaves raw mode: its driver turns Ctrl-C into SIGINT, one path for
  // terminals and pipes, and lines typed meanwhile wait in the terminal until the prompt is back.
  const cooked = (on: boolean) => {
    if (!tty) return;
    if (on) rl.pause();
    process.stdin.setRawMode(!on);
    if (!on) rl.resume();
  };
  try {
    if (tty) rl.prompt();
    for (let raw = await next(); raw !== undefined; raw = await next()) {
      const line = raw.trim();
      const [cmd, ...rest] = line.split(/\s+/);
      if (line === "") {
        // nothing
      } else if (cmd === "/exit" || cmd === "/quit") {
        break;
      } else if (cmd === "/help") {
        process.stdout.write(HELP);
      } else if (cmd === "/rules") {
        session.rulesOn = !session.rulesOn;
        say(`rules ${session.rulesOn ? "on" : "off"} (${rulesName})`);
      } else if (cmd === "/reset") {
        session.reset();
        say("new conversation");
      } else if (cmd === "/top") {
        const t = await session.top(opts.candidates, rest.length ? line.slice(cmd.length).trim() : undefined);
        if (t) process.stdout.write(topTable(rulesName, t));
        else say("/top needs a message: /top TEXT, or after a reply");
      } else {
        replying = new AbortController();
        cooked(true);
        try {
          const r = await session.reply(line, (text) => process.stdout.write(text), replying.signal);
          process.stdout.write("\n");
          if (r.dropped) say(`the oldest ${r.dropped} exchange(s) no longer fit the context and were left out`);
          if (r.stopReason === "aborted") say("reply stopped");
          else if (r.stopReason === "max_tokens" || r.stopReason === "context_full")
            say(`reply cut at ${r.stopReason === "max_tokens" ? "--max-tokens" : "the context"}`);
        } catch (e) {
          if (!(e instanceof IitError)) throw e;
          process.stdout.write("\n");
          process.stderr.write(
            `iit: error [${e.code}]: ${e.message}\n${e.suggestion ? `  try: ${e.suggestion}\n` : ""}`,
          );
        } finally {
          replying = undefined;
          cooked(false);
        }
      }
      if (tty) rl.prompt();
    }
  } finally {
    process.off("SIGINT", interrupt);
    rl.close();
  }
});
