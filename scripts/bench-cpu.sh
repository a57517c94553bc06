#!/bin/sh
# Issue 26 items 2 and 4 on this machine: `iit bench train` (stories260K vs llama-finetune) and `iit bench
# pretrain` (the lab's pretraining vs ggml's F32 matrix-product rate), each with the CPU it ran on and
# the load average before and after. Usage: scripts/bench-cpu.sh [OUT_DIR] (default bench-results/).
set -e
cd "$(dirname "$0")/.."
out=${1:-bench-results}
mkdir -p "$out"
echo "before: $(uptime)" > "$out/load.txt"
node dist/cli/main.js bench train -m ../shared/models/stories260K.gguf \
  --data ../shared/data/lima/lima_no_instruction.jsonl --examples 16 --rounds 3 -t 1 --json > "$out/train.json"
echo "between: $(uptime)" >> "$out/load.txt"
node dist/cli/main.js bench pretrain --tokens 32768 --rounds 3 --json > "$out/pretrain.json"
echo "after: $(uptime)" >> "$out/load.txt"
node -e '
const fs = require("fs");
const [dir] = process.argv.slice(1);
const t = JSON.parse(fs.readFileSync(`${dir}/train.json`, "utf8"));
const p = JSON.parse(fs.readFileSync(`${dir}/pretrain.json`, "utf8"));
const s = (q, d = 3) => [q.min, q.median, q.max].map((x) => x.toFixed(d)).join(" / ");
console.log(`CPU: ${t.cpu.model}; ${t.cpu.isa.join(" ")}; ggml: ${t.cpu.ggml.join(" ")}`);
console.log(`train vs llama-finetune: wall ${s(t.ratios)}, per CPU second ${s(t.cpu_time_ratios)}, peak RSS ${s(t.memory_ratios)}, beyond Node ${s(t.memory_beyond_node_ratios)}`);
console.log(`pretrain: ${s(p.tokens_per_cpu_second, 0)} tokens per CPU second, ${s(p.gflops, 1)} GFLOP/s; MUL_MAT peak ${s(p.peak_gflops, 1)} GFLOP/s; fraction ${s(p.fraction_of_peak)}; of matrix-bound ${s(p.fraction_of_matrix_bound)}`);
' "$out"
cat "$out/load.txt"
