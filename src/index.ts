// The public API (Node REPL: `const iit = await import("implicit-instruct")`).
export * from "./errors.js";
export { loadModel, Model, type ModelMeta } from "./model/Model.js";
export type { LoadModelOptions, LoraSpec } from "./model/options.js";
export { placementLine, type ModelPlacement } from "./model/placement.js";
export { systemInfo, type SystemInfo } from "./model/systemInfo.js";
export { GPU_BACKENDS, type GpuBackend } from "./bindings/loadAddon.js";
export type { NativeDevice } from "./bindings/AddonTypes.js";
export { resolveModelPath, type ResolveModelOptions, type DownloadProgress } from "./model/resolveModelPath.js";
export { modelsDir } from "./model/modelsDir.js";
export { makeModel, type MakeModelOptions } from "./model/makeModel.js";
export type {
  GenerateOptions,
  GenerationResult,
  PromptInput,
  StopReason,
  TemplateName,
} from "./model/generationTypes.js";
export { generateFile, type GenerateFileOptions, type GenerateFileSummary } from "./generation/generateFile.js";
export { readPrompts, type PromptRecord } from "./generation/inputs.js";
export { readOutputs, type OutputRecord } from "./generation/outputs.js";
export { mergeOutputs } from "./generation/merge.js";
export { tuluPrompt, type Message, type Role } from "./data/template.js";
export { benchGenerate, type BenchGenerateOptions, type BenchGenerateResult } from "./bench/benchGenerate.js";
export { computeWinRate, type WinRateSummary } from "./eval/winrate.js";
export {
  lengthControlledWinRate,
  computeLengthControlled,
  type LengthControlledDetail,
  type LengthControlledOptions,
  type LengthControlledResult,
} from "./eval/lengthControlled.js";
export { readGamedData, parseGamedData, gamedDataPath, type GamedData } from "./eval/glm/gamedData.js";
export { readAnnotations, type Annotation } from "./eval/annotations.js";
export { makeLora, type MakeLoraOptions } from "./model/makeLora.js";
export type { ScoreItem, ScoreOptions, ScoreResult } from "./model/score.js";
export type { TopToken } from "./model/score.js";
export { loadRules, parseRuleSpec, disableRules, ruleSpecJsonSchema } from "./rules/loadRules.js";
export { PRESETS, hewitt2024 } from "./rules/presets.js";
export { RULE_NAMES, type RuleName, type RuleSpec, type RuleSpecInput } from "./rules/spec.js";
export { fitRules, type FitRulesOptions, type FitRulesResult } from "./rules/fit/fitRules.js";
export type { RuleScore, RuleScorer, ScoredOutput } from "./rules/fit/scorers.js";
export { labScorer, LAB_MAX_TOKENS } from "./lab/ruleScorer.js";
export { judgeScorer, type JudgeScorerOptions } from "./rules/fit/judgeScorer.js";
export { discoverCandidates, type Candidate as RuleCandidate } from "./rules/fit/candidates.js";
export { openJudge, type OpenJudgeOptions, type JudgeBackend } from "./eval/judge/index.js";
export { HttpJudge, type HttpJudgeOptions } from "./eval/judge/http.js";
export { LocalJudge, type LocalJudgeOptions } from "./eval/judge/local.js";
export { pairFiles, type Pair, type Pairing } from "./eval/judge/pairs.js";
// What a custom JudgeBackend returns, and the helpers that build it from a model's answer.
export {
  preferenceFromLogprobs,
  preferenceFromText,
  preferenceFromTop,
  type JudgeOutcome,
} from "./eval/judge/parse.js";
export { runJudge, type JudgeSummary, type RunJudgeOptions } from "./eval/judge/runJudge.js";
export { DEFAULT_TEMPLATE_TEXT, defaultTemplate, loadTemplate, type JudgeTemplate } from "./eval/judge/template.js";
export { startServer, type RunningServer, type ServeOptions } from "./serve/server.js";
export { ChatSession, type ChatOptions, type Candidate as NextTokenCandidate } from "./chat/ChatSession.js";
export { benchRules, type BenchRulesOptions, type BenchRulesResult } from "./bench/benchRules.js";
export { train } from "./training/train.js";
export { DEFAULT_LORA_TARGETS } from "./training/trainOptions.js";
export type { TrainOptions, TrainResult, TrainProgress, TrainMode, EpochResult } from "./training/types.js";
export { cosine, type EmbedOptions } from "./model/embed.js";
export { analyzeLengths, type ArmLengths, type Distribution, type LengthsResult } from "./eval/analyses/lengths.js";
export { rankResponses, type RankingOptions, type RankingResult } from "./eval/analyses/ranking.js";
export {
  analyzeSimilarity,
  type SimilarityOptions,
  type SimilarityPoint,
  type SimilarityResult,
} from "./eval/analyses/similarity.js";
export { loadExperimentConfig, parseExperimentConfig, type Arm, type ExperimentConfig } from "./experiment/config.js";
export {
  experimentJsonSchema,
  ARM_KINDS,
  type ArmKind,
  type ExperimentConfigInput,
} from "./experiment/configSchema.js";
// The lab's step kinds join the runner's (a lab config plans and runs through the one runner).
import "./experiment/labSteps.js";
export { planExperiment } from "./experiment/plan.js";
export { registerStepKinds } from "./experiment/stepKinds.js";
export {
  runExperiment,
  collectExperiment,
  type ExperimentResults,
} from "./experiment/runExperiment.js";
export type {
  ExperimentEvent,
  ExperimentRun,
  RunExperimentOptions,
  PlanBuilder,
  RunStep,
  Step,
  StepKind,
  StepKindSet,
  StepSource,
  StepStatus,
  TrainFn,
  TrainSnapshots,
} from "./experiment/types.js";
export { aggregate as aggregateExperiment } from "./experiment/results.js";
export {
  resultsMarkdown,
  resultsCsv,
  type ArmRow,
  type ResultsTable,
  type SeedResult,
} from "./experiment/aggregate.js";
export { buildReport, type ReportOptions, type ReportResult } from "./report/buildReport.js";
// The lab (docs/lab.md): its world, grader, base pretraining and the whole run.
export { makeWorld, type World, type Creature, type Task } from "./lab/world.js";
export { labPrompts, tuningSets, pretrainingDocs, type LabPrompt } from "./lab/corpus.js";
export { gradeOutput, summarize as summarizeGrades, type Grade, type GradeSummary } from "./lab/grade.js";
export { compareGrades, JUDGE_ORDER } from "./lab/judge.js";
export { newTurn } from "./lab/turns.js";
export { labPretrain, type LabPretrainOptions, type LabPretrainResult } from "./lab/pretrain.js";
export { runLab, type RunLabOptions } from "./experiment/runLab.js";
export type { Finding } from "./lab/results.js";
export {
  fetchData,
  checkDataNames,
  type FetchDataOptions,
  type FetchDataResult,
  type FetchedName,
  type FetchedFile,
  type BuiltFile,
} from "./data/fetch/fetchData.js";
export { dataDir } from "./data/fetch/dataDir.js";
export {
  DATA_SOURCES,
  DATA_NAMES,
  sourceUrl,
  type DataName,
  type DataSource,
  type SourceFile,
} from "./data/fetch/sources.js";
