// The CLI only wires commands; each lives in commands/<verb>.ts over a library function. main.ts loads it.
import { Command, CommanderError } from "commander";
import { IitError } from "../errors.js";
import { typedSystemError } from "../util/writeErrors.js";
import { beforeAction } from "./earlySignals.js";
import { VERSION } from "../version.js";
import { analyzeCommand } from "./commands/analyze.js";
import { benchCommand } from "./commands/bench.js";
import { chatCommand } from "./commands/chat.js";
import { dataCommand } from "./commands/data.js";
import { experimentCommand } from "./commands/experiment.js";
import { generateCommand } from "./commands/generate.js";
import { inspectCommand } from "./commands/inspect.js";
import { judgeCommand } from "./commands/judge.js";
import { labCommand } from "./commands/lab.js";
import { makeLoraCommand } from "./commands/make-lora.js";
import { makeModelCommand } from "./commands/make-model.js";
import { mergeCommand } from "./commands/merge.js";
import { serveCommand } from "./commands/serve.js";
import { reportCommand } from "./commands/report.js";
import { rulesCommand } from "./commands/rules.js";
import { trainCommand } from "./commands/train.js";
import { winrateCommand } from "./commands/winrate.js";

const program = new Command("iit")
  .description("implicit-instruct: instruction following without instruction tuning, on your GGUF models")
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride()
  .hook("preAction", (_program, action) => beforeAction(action));

for (const cmd of [
  generateCommand,
  inspectCommand,
  makeModelCommand,
  makeLoraCommand,
  mergeCommand,
  benchCommand,
  winrateCommand,
  dataCommand,
  rulesCommand,
  judgeCommand,
  serveCommand,
  chatCommand,
  trainCommand,
  experimentCommand,
  labCommand,
  analyzeCommand,
  reportCommand,
]) {
  program.addCommand(cmd.exitOverride());
}

try {
  await program.parseAsync(process.argv);
} catch (thrown) {
  const e = typedSystemError(thrown);
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2; // help/version, else a usage error (commander says 1)
  } else if (e instanceof IitError) {
    process.stderr.write(`iit: error [${e.code}]: ${e.message}\n${e.suggestion ? `  try: ${e.suggestion}\n` : ""}`);
    process.exitCode = e.code === "INVALID_OPTION" ? 2 : e.code === "ABORTED" ? 130 : 1; // ABORTED: Ctrl-C/SIGTERM, already saved
  } else {
    process.stderr.write(`iit: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
