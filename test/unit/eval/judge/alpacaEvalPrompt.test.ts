// The paper's judge: AlpacaEval 2's weighted_alpaca_eval_gpt4_turbo prompt, read from its file (the
// repository carries no copy), rendered and sent exactly as AlpacaEval does.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runJudge } from "../../../../src/eval/judge/runJudge.js";
import { loadTemplate, renderTemplate } from "../../../../src/eval/judge/template.js";
import { parseExperimentConfig } from "../../../../src/experiment/config.js";
import { experimentJudgeTemplate, openExperimentJudge } from "../../../../src/experiment/runSteps.js";
import { repoRoot, sharedDir, tempDir } from "../../../helpers/fixtures.js";

const dataDir = join(sharedDir, "data", "alpaca_eval");
const promptFile = join(dataDir, "alpaca_eval_clf_gpt4_turbo.txt");
const annotationsFile = join(dataDir, "alpaca-7b.annotations.json");
const skip = existsSync(promptFile) && existsSync(annotationsFile) ? false : "../../shared/data/alpaca_eval absent";

interface Row {
  instruction: string;
  output_1: string;
  output_2: string;
}

/**
 * What AlpacaEval sends, computed its way: alpaca_eval.utils.make_prompts replaces each `{name}` of
 * the template once, in order; prompt_to_chatml splits on <|im_start|>, the first line is the role
 * and the content, up to <|im_end|>, is stripped.
 */
function alpacaEvalMessages(template: string, row: Record<string, string>): { role: string; content: string }[] {
  let prompt = template;
  for (const [, name] of template.matchAll(/\{([^ \s]+?)\}/g)) prompt = prompt.replace(`{${name}}`, () => row[name]);
  return prompt
    .trim()
    .split("<|im_start|>")
    .slice(1)
    .map((p) => {
      const nl = p.indexOf("\n");
      return {
        role: p.slice(0, nl).trim(),
        content: p
          .slice(nl + 1)
          .split("<|im_end|>")[0]
          .trim(),
      };
    });
}

const rows = skip ? [] : (JSON.parse(readFileSync(annotationsFile, "utf8")) as Row[]);

describe.skipIf(skip)("AlpacaEval 2's judge prompt (alpaca_eval_clf_gpt4_turbo.txt)", () => {
  const servers: ReturnType<typeof createServer>[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it("renders real pairs into exactly AlpacaEval's system and user messages", async () => {
    const text = readFileSync(promptFile, "utf8");
    const t = await loadTemplate(promptFile);
    // Outputs with leading or trailing whitespace and braces are the interesting ones; take those and the first few.
    const picked = [
      ...rows.slice(0, 5),
      ...rows.filter((r) => /^\s|\s$/.test(r.output_1 + r.output_2) || /[{}]/.test(r.output_2)).slice(0, 15),
    ];
    expect(picked.length).toBeGreaterThan(5);
    for (const r of picked) {
      const ours = renderTemplate(t, r.instruction, r.output_1, r.output_2);
      expect(ours.map((m) => m.role)).toEqual(["system", "user"]);
      expect(ours).toEqual(alpacaEvalMessages(text, { ...r }));
    }
  });

  it("an experiment with evaluation.judgeTemplate sends those messages with AlpacaEval's request settings", async () => {
    const dir = tempDir("iit-alpaca-prompt-");
    const pairs = rows.slice(0, 3);
    const write = (f: string, key: "output_1" | "output_2", generator: string) =>
      writeFileSync(
        join(dir, f),
        JSON.stringify(pairs.map((r) => ({ instruction: r.instruction, output: r[key], generator }))),
      );
    write("reference.json", "output_1", "gpt4_1106_preview");
    write("model.json", "output_2", "alpaca-7b");
    const bodies: Record<string, unknown>[] = [];
    const server = createServer((req, res) => {
      let data = "";
      req.on("data", (c) => (data += c));
      req.on("end", () => {
        bodies.push(JSON.parse(data));
        const top = [
          { token: "m", logprob: Math.log(0.6) },
          { token: "M", logprob: Math.log(0.4) },
        ];
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            choices: [
              {
                index: 0,
                message: { role: "assistant", content: "m" },
                logprobs: { content: [{ ...top[0], top_logprobs: top }] },
                finish_reason: "length",
              },
            ],
          }),
        );
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;

    const c = parseExperimentConfig(
      {
        name: "alpaca-judge",
        baseModel: "m.gguf",
        arms: [{ type: "base" }, { type: "rules" }],
        evaluation: {
          instructions: "i.jsonl",
          reference: "base",
          judge: `openai:${url}`,
          judgeModel: "gpt-4-1106-preview",
          judgeTemplate: promptFile,
          judgeTemperature: 1,
        },
      },
      { baseDir: repoRoot },
    );
    const judge = await openExperimentJudge(c);
    const template = await experimentJudgeTemplate(c);
    expect(template.source).toBe(promptFile);
    const { summary } = await runJudge({
      judge,
      template,
      outputs: join(dir, "model.json"),
      reference: join(dir, "reference.json"),
      bothOrders: true,
      cache: false,
    });
    expect(summary.pairs).toBe(3);
    expect(bodies.length).toBe(6);
    const text = readFileSync(promptFile, "utf8");
    const expected = pairs.flatMap((r) => [
      alpacaEvalMessages(text, { ...r }),
      alpacaEvalMessages(text, { ...r, output_1: r.output_2, output_2: r.output_1 }),
    ]);
    expect(bodies.map((b) => b.messages)).toEqual(expect.arrayContaining(expected));
    for (const b of bodies) {
      expect(b).toMatchObject({
        model: "gpt-4-1106-preview",
        max_tokens: 1,
        temperature: 1,
        logprobs: true,
        top_logprobs: 5,
      });
    }
  });
});
