// The public API (Node REPL: `const iit = await import("implicit-instruct")`).
export * from "./errors.js";
export { loadModel, Model, type ModelMeta } from "./model/Model.js";
export type { LoadModelOptions, LoraSpec } from "./model/options.js";
export { makeModel, resolveVocab, type MakeModelOptions } from "./model/makeModel.js";
export type { GenerateOptions, GenerationResult, PromptInput, StopReason, TemplateName } from "./generation/types.js";
export { generateFile, type GenerateFileOptions, type GenerateFileSummary } from "./generation/generateFile.js";
export { readPrompts, type PromptRecord } from "./generation/inputs.js";
export { readOutputs, type OutputRecord } from "./generation/outputs.js";
export { mergeOutputs } from "./generation/merge.js";
export { tuluPrompt, tuluSegments, type Message, type Role } from "./data/template.js";
export { benchGenerate, type BenchGenerateOptions, type BenchGenerateResult } from "./bench/benchGenerate.js";
export { computeWinRate, type WinRateSummary } from "./eval/winrate.js";
export { readAnnotations, type Annotation } from "./eval/annotations.js";
export { makeLora, type MakeLoraOptions } from "./model/makeLora.js";
export { scoreSequences, type ScoreItem, type ScoreOptions, type ScoreResult } from "./generation/score.js";
export type { TopToken } from "./generation/score.js";
