import { readMessagesJsonl, type MessagesRow } from "../../data/messages.js";
import { DatasetError } from "../../errors.js";
import { readOutputs } from "../../generation/outputs.js";
import type { Model } from "../../model/Model.js";

export interface SimilarityOptions {
  /** The tuned model's outputs on test instructions (AlpacaEval model_outputs.json). */
  outputs: string;
  /** The task's training data (messages JSONL, e.g. GSM). */
  taskData: string;
  /** General instruction-tuning data to contrast with (messages JSONL, the paper: LIMA). */
  generalData: string;
  /** Only the first N examples of each data file. Defaults to `1000`. */
  maxExamples?: number;
  /** Only the first N outputs. Defaults to all. */
  maxOutputs?: number;
  /** Tokens per text (longer texts are truncated, as the paper's embedder does). Defaults to 512. */
  contextSize?: number;
  signal?: AbortSignal;
}

export interface SimilarityPoint {
  instruction: string;
  /** Mean cosine similarity of the instruction to the task's training instructions. */
  x: number;
  /** Mean cosine similarity of the response to task responses minus to general responses. */
  y: number;
  task_response_similarity: number;
  general_response_similarity: number;
}

export interface SimilarityResult {
  embedder: string;
  outputs: string;
  task_data: string;
  general_data: string;
  points: SimilarityPoint[];
  /** Pearson correlation of x and y (null below 3 points or with no variance). */
  pearson_r: number | null;
}

const firstUser = (r: MessagesRow) => r.messages.find((m) => m.role === "user")?.content ?? "";
const firstAssistant = (r: MessagesRow) => r.messages.find((m) => m.role === "assistant")?.content ?? "";

/** The mean of unit vectors: cos(v, each) averaged = v · mean. */
function centroid(vs: Float32Array[]): Float64Array {
  const m = new Float64Array(vs[0]?.length ?? 0);
  for (const v of vs) for (let i = 0; i < v.length; i++) m[i] += v[i] / vs.length;
  return m;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

export function pearson(xs: number[], ys: number[]): number | null {
  const n = xs.length;
  if (n < 3) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}

/**
 * Paper Fig. 5 (`plot_embeds.py`): for each test instruction, x = similarity to the task's training
 * instructions, y = similarity of the model's response to task responses minus to general responses.
 * Embeddings come from any GGUF through our engine (mean pooling, L2-normalised).
 */
export async function analyzeSimilarity(embedder: Model, opts: SimilarityOptions): Promise<SimilarityResult> {
  const max = opts.maxExamples ?? 1000;
  const task = (await readMessagesJsonl(opts.taskData)).slice(0, max);
  const general = (await readMessagesJsonl(opts.generalData)).slice(0, max);
  const outs = (await readOutputs(opts.outputs)).slice(0, opts.maxOutputs);
  if (!task.length || !general.length || !outs.length) {
    throw new DatasetError("DATA_EMPTY", "similarity needs task data, general data and outputs, each non-empty", {
      suggestion: `check ${opts.taskData}, ${opts.generalData} and ${opts.outputs}`,
    });
  }
  const e = (texts: string[]) => embedder.embed(texts, { contextSize: opts.contextSize, signal: opts.signal });
  const taskInstr = centroid(await e(task.map(firstUser)));
  const taskResp = centroid(await e(task.map(firstAssistant)));
  const genResp = centroid(await e(general.map(firstAssistant)));
  const instr = await e(outs.map((r) => r.instruction));
  const resp = await e(outs.map((r) => r.output));
  const points = outs.map((r, i) => {
    const t = dot(resp[i], taskResp);
    const g = dot(resp[i], genResp);
    return {
      instruction: r.instruction,
      x: dot(instr[i], taskInstr),
      y: t - g,
      task_response_similarity: t,
      general_response_similarity: g,
    };
  });
  return {
    embedder: embedder.name,
    outputs: opts.outputs,
    task_data: opts.taskData,
    general_data: opts.generalData,
    points,
    pearson_r: pearson(
      points.map((p) => p.x),
      points.map((p) => p.y),
    ),
  };
}
