import { Command } from "commander";
import { InvalidOptionError } from "../../errors.js";
import { loadModel } from "../../model/Model.js";
import { placementLine } from "../../model/placement.js";
import { startServer } from "../../serve/server.js";
import { addModelOptions, modelOptionsFrom, type ModelCliOptions } from "../modelOptions.js";
import { loadProgressBar } from "../progress.js";
import { intOption, printJson } from "../util.js";
import { addGenerationOptions, samplingFrom, type GenerationCliOptions } from "./generate.js";

const cmd = addGenerationOptions(
  addModelOptions(
    new Command("serve")
      .description(
        "an OpenAI-compatible server over one model (with its LoRA adapters): /v1/models, /v1/completions, /v1/chat/completions",
      )
      .option("--port <n>", "TCP port (0 = any free port)", intOption("--port"), 8080)
      .option("--host <addr>", "address to bind (loopback by default; 0.0.0.0 exposes it to the network)", "127.0.0.1")
      .option("--model-name <id>", "the model id clients see (default: the model file name)")
      .option("--max-queue <n>", "waiting requests before new ones get 429", intOption("--max-queue"), 256)
      .option("--api-key-env <var>", "require `Authorization: Bearer $VAR` on every request")
      .option("--json", "print one JSON object on stdout once listening"),
  ),
);

interface ServeCliOptions extends ModelCliOptions, GenerationCliOptions {
  port: number;
  host: string;
  modelName?: string;
  maxQueue: number;
  apiKeyEnv?: string;
  json?: boolean;
}

/** `iit serve`: --template applies to chat requests; --parallel is the batch size (default 4 here). */
export const serveCommand = cmd.action(async (opts: ServeCliOptions) => {
  const sampling = samplingFrom(opts);
  const parallel = cmd.getOptionValueSource("parallel") === "default" ? 4 : opts.parallel;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64) {
    throw new InvalidOptionError("INVALID_OPTION", `--parallel must be an integer in [1, 64], got ${parallel}`);
  }
  if (opts.maxQueue < 1)
    throw new InvalidOptionError(
      "INVALID_OPTION",
      `--max-queue must be at least 1 (requests that may wait), got ${opts.maxQueue}`,
    );
  let apiKey: string | undefined;
  if (opts.apiKeyEnv) {
    apiKey = process.env[opts.apiKeyEnv];
    if (!apiKey)
      throw new InvalidOptionError("INVALID_OPTION", `--api-key-env ${opts.apiKeyEnv}: that variable is not set`);
  }
  await using model = await loadModel({ ...modelOptionsFrom(opts), onLoadProgress: loadProgressBar(!!opts.json) });
  process.stderr.write(`iit serve: ${placementLine(model.placement)}\n`);
  const server = await startServer({
    model,
    modelName: opts.modelName,
    template: sampling.template,
    defaults: sampling,
    contextSize: sampling.contextSize,
    parallel,
    maxQueue: opts.maxQueue,
    apiKey,
    host: opts.host,
    port: opts.port,
  });
  if (opts.json)
    printJson({
      url: server.url,
      host: server.host,
      port: server.port,
      model: server.modelId,
      parallel,
      placement: model.placement,
    });
  process.stderr.write(
    `iit serve: ${server.modelId} on ${server.url} (batches of up to ${parallel}, chat template ${sampling.template}` +
      `${opts.rules ? `, rules ${opts.rules}` : ""}); Ctrl-C stops\n`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  process.stderr.write("iit serve: stopping\n");
  await server.close();
});
