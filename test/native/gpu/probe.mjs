// One backend's answers, for test/native/gpu/vulkan.test.ts: run as a child process (one addon variant
// per process) with IIT_GPU=cpu or IIT_GPU=vulkan, over the built library (dist/).
//   node probe.mjs <job.json>   → one JSON object on stdout
// job: { model, loras?, prompts, template, maxTokens, rules?, score?: [{tokens, from}], embed?: string[], train?: {...} }
import { readFileSync } from "node:fs";
import { loadModel, loadRules, systemInfo, train, tuluPrompt } from "../../../dist/index.js";

const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = { system: null, placement: null, generated: [], scored: [], embeddings: null, train: null };

const model = await loadModel({ model: job.model, loras: job.loras ?? [], threads: 1, gpuLayers: -1 });
out.system = systemInfo();
out.placement = model.placement;
const rules = job.rules ? loadRules(job.rules) : undefined;
const promptTokens = (p) =>
  job.template === "tulu"
    ? [...model.bosPrefix, ...model.tokenize(tuluPrompt(p))]
    : model.tokenize(p, { addSpecial: true });

const results = await model.generate(job.prompts, {
  template: job.template,
  maxTokens: job.maxTokens,
  temperature: 0,
  rules,
  contextSize: 512,
});
for (const [i, r] of results.entries()) {
  out.generated.push({ prompt: promptTokens(job.prompts[i]), tokens: r.tokens, stopReason: r.stopReason });
}
// Teacher-forced scoring (under the rules when given) of the sequences asked for, else of our own outputs.
const items = job.score ?? out.generated.map((g) => ({ tokens: [...g.prompt, ...g.tokens], from: g.prompt.length }));
const scored = await model.score(items, { topK: 2, rules });
out.scored = scored.map((s) => ({ tokenLogprobs: s.tokenLogprobs, top: s.top }));
if (job.embed) out.embeddings = (await model.embed(job.embed)).map((v) => Array.from(v));
await model.dispose();

if (job.train) {
  const losses = [];
  try {
    const r = await train({ ...job.train, threads: 1, onProgress: (p) => losses.push(p.loss) });
    out.train = { ok: true, losses, epochs: r.epochs, placement: r.placement };
  } catch (e) {
    out.train = { ok: false, name: e.name, code: e.code, message: e.message };
  }
}
process.stdout.write(JSON.stringify(out) + "\n");
