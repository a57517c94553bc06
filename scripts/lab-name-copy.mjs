#!/usr/bin/env node
// Does a lab base copy an asked creature's name into the first token of its answer? For the 70
// evaluation creatures of its world, "tell me about X." in each layout the base's pretraining pages use
// and under the Tulu template, greedy, 12 tokens: how many answers begin with the asked name.
// docs/lab.md ("The tokenizer") quotes it. Needs `npm run build` (it imports dist/).
// Usage: node scripts/lab-name-copy.mjs [BASE=models/lab-base.gguf] [--threads N] [--json]
import { resolve } from "node:path";
import { loadModel } from "../dist/index.js";
import { inGroup, makeWorld } from "../dist/lab/world.js";
import { worldSeedOf } from "../dist/lab/pretrain.js";

const args = process.argv.slice(2);
const threadsAt = args.indexOf("--threads");
const threads = threadsAt >= 0 ? Number(args[threadsAt + 1]) : undefined;
const base = resolve(args.find((a, i) => !a.startsWith("--") && i !== threadsAt + 1) ?? "models/lab-base.gguf");

const LAYOUTS = {
  "Q: …⏎A:": (q) => `Q: ${q}\nA:`,
  "user: …⏎assistant:": (q) => `user: ${q}\nassistant:`,
  "user:⏎…⏎assistant:⏎": (q) => `user:\n${q}\nassistant:\n`,
  "<user>⏎…⏎<assistant>⏎": (q) => `<user>\n${q}\n<assistant>\n`,
  "Tulu template": (q) => `<|user|>\n${q}\n<|assistant|>\n`,
};

const model = await loadModel({ model: base, ...(threads && { threads }) });
const seed = worldSeedOf(model.meta.metadata["general.name"]);
if (seed === null) throw new Error(`${base} is not a lab base (its general.name names no world)`);
const creatures = inGroup(makeWorld({ seed }), "evalQa", "evalProse");
const counts = {};
for (const [layout, wrap] of Object.entries(LAYOUTS)) {
  const prompts = creatures.map((c) => wrap(`tell me about ${c.name}.`));
  const out = await model.generate(prompts, { template: "raw", maxTokens: 12, parallel: 16 });
  counts[layout] = out.filter((r, i) => (r.output.match(/[A-Z][a-z]+/) ?? [""])[0] === creatures[i].name).length;
}
await model.dispose();
if (args.includes("--json")) console.log(JSON.stringify({ base, world: seed, creatures: creatures.length, counts }));
else {
  console.log(`${base} (world ${seed}): answers to "tell me about X." that begin with X, of ${creatures.length}`);
  for (const [layout, n] of Object.entries(counts)) console.log(`  ${layout.padEnd(24)} ${n}`);
}
