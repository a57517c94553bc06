/** Every `code` an IitError can carry: switch on it (`err instanceof IitError && err.code === "DATA_MALFORMED"`). */
export type IitErrorCode =
  // Loading the native addon
  | "NATIVE_NOT_BUILT"
  | "NATIVE_VARIANT_NOT_BUILT"
  | "NATIVE_VARIANT_CONFLICT"
  | "NATIVE_LOAD_FAILED"
  | "NATIVE_ERROR"
  // Models and adapters (most from native code)
  | "NOT_FOUND"
  | "NOT_GGUF"
  | "GGUF_CORRUPT"
  | "GGUF_TRUNCATED"
  | "GGUF_HPARAMS_INVALID"
  | "NOT_A_MODEL"
  | "MODEL_IS_DIRECTORY"
  | "MODEL_RESOLVE_FAILED"
  | "MODEL_LOAD_FAILED"
  | "CONTEXT_FAILED"
  | "CONTEXT_TOO_LARGE"
  | "MODEL_TOO_LARGE"
  | "MAKE_MODEL_FAILED"
  | "VOCAB_NOT_FOUND"
  | "MAKE_LORA_FAILED"
  | "LORA_INVALID"
  | "LORA_INCOMPATIBLE"
  | "EXPERT_VOCAB_MISMATCH"
  | "NO_CHAT_TEMPLATE"
  | "DISPOSED"
  // Generation, scoring, embedding
  | "GENERATION_FAILED"
  | "LOGITS_NOT_FINITE"
  | "SCORING_FAILED"
  | "EMBEDDING_FAILED"
  | "TOKENIZE_FAILED"
  | "INVALID_TOKEN"
  | "INVALID_STATE"
  | "PROMPT_TOO_LONG"
  | "ABORTED"
  | "RESUME_SETTINGS_CHANGED"
  // Options
  | "INVALID_OPTION"
  | "INVALID_ARGUMENT"
  | "OUTPUT_DIR_NOT_FOUND"
  // Writing outputs
  | "DISK_FULL"
  | "OUTPUT_UNWRITABLE"
  | "OUTPUT_IS_DIRECTORY"
  | "OUTPUT_NOT_DIRECTORY"
  | "OUTPUT_READ_ONLY"
  // Rules
  | "RULES_INVALID"
  | "RULES_NOT_FOUND"
  // Fitting rules (iit rules fit)
  | "FIT_DEV_NOT_LAB"
  | "FIT_NOT_LAB_BASE"
  | "FIT_DEV_WRONG_WORLD"
  | "FIT_DEV_IS_EVAL"
  | "FIT_SCORER_FAILED"
  | "FIT_CANDIDATES_INVALID"
  | "FIT_CACHE_UNWRITABLE"
  // Data
  | "DATA_NOT_FOUND"
  | "DATA_MALFORMED"
  | "DATA_EMPTY"
  | "DATA_NEEDS_LM_MODE"
  | "DATA_UNSUPPORTED_FILE"
  | "DATA_WRITE_FAILED"
  | "NO_DATA"
  // Fetching data (iit data get)
  | "DATA_UNKNOWN_NAME"
  | "DATA_UNREACHABLE"
  | "DATA_ACCESS_DENIED"
  | "DATA_DOWNLOAD_FAILED"
  | "DATA_DOWNLOAD_TRUNCATED"
  // Training
  | "MODEL_NOT_F32"
  | "TRAIN_INIT_FAILED"
  | "TRAINING_FAILED"
  | "TRAINING_DIVERGED"
  | "TRAINING_TOO_LARGE"
  | "TRAIN_NO_OUTPUT"
  | "SAVE_FAILED"
  | "CHECKPOINT_INVALID"
  | "CHECKPOINT_CORRUPT"
  | "CHECKPOINT_EXISTS"
  | "CHECKPOINT_MISMATCH"
  // Judging and annotations
  | "JUDGE_CACHE_UNWRITABLE"
  | "JUDGE_HTTP_FAILED"
  | "JUDGE_HTTP_FATAL"
  | "JUDGE_LABEL_NOT_A_TOKEN"
  | "JUDGE_MODEL_MISSING"
  | "JUDGE_TEMPLATE_INVALID"
  | "ANNOTATIONS_BAD_PREFERENCE"
  | "ANNOTATIONS_BAD_ROW"
  | "ANNOTATIONS_NOT_ARRAY"
  | "ANNOTATIONS_NOT_JSON"
  | "ANNOTATIONS_UNREADABLE"
  | "NO_TARGETS"
  // The length-controlled win rate
  | "LC_DATA_MISSING"
  | "LC_DATA_MALFORMED"
  | "LC_NOT_COMPUTABLE"
  // Experiments, lab, reports, serve, bench
  | "EXPERIMENT_CONFIG_INVALID"
  | "EXPERIMENT_CONFIG_NOT_FOUND"
  | "EXPERIMENT_INPUT_MISSING"
  | "EXPERIMENT_NO_JUDGE"
  | "EXPERIMENT_ONLY_NO_MATCH"
  | "EXPERIMENT_SLURM_NO_CONFIG_FILE"
  | "EXPERIMENT_SLURM_QUERY_FAILED"
  | "EXPERIMENT_SLURM_SUBMIT_FAILED"
  | "EXPERIMENT_SLURM_UNAVAILABLE"
  | "EXPERIMENT_STEP_BUSY"
  | "EXPERIMENT_UPSTREAM_MISSING"
  | "LAB_BASE_NOT_FOUND"
  | "LAB_OUTPUT_MISSING"
  | "LAB_WORLD_MISMATCH"
  | "REPORT_NO_RESULTS"
  | "SERVE_LISTEN_FAILED"
  | "BENCH_FAILED";

/** Every error this toolkit throws on purpose: a stable `code`, a message naming the input, and what to try. */
export class IitError extends Error {
  readonly code: IitErrorCode;
  readonly suggestion?: string;

  constructor(code: IitErrorCode, message: string, options: { cause?: unknown; suggestion?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.suggestion = options.suggestion;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, suggestion: this.suggestion };
  }
}

/** The native addon is missing or cannot be loaded. */
export class NativeBindingLoadError extends IitError {}
/** A model file is missing, not GGUF, corrupt, truncated, or rejected by llama.cpp. */
export class ModelLoadError extends IitError {}
/** A LoRA adapter is missing, invalid, or built for another model. */
export class LoraAdapterError extends IitError {}
/** Generation failed or was given impossible options. */
export class GenerationError extends IitError {}
/** A rule spec or sampler option is invalid. */
export class SamplerConfigError extends IitError {}
/** `iit rules fit` was given a dev set, scorer or candidate file it cannot use, or a scorer failed. */
export class RuleFitError extends IitError {}
/** A data file is malformed (the message names the file and line). */
export class DatasetError extends IitError {}
/** Training failed or was given impossible options. */
export class TrainingError extends IitError {}
/** A judge call failed or an annotations file is malformed. */
export class JudgeError extends IitError {}
/** A command-line or library option is invalid. */
export class InvalidOptionError extends IitError {}
/** An output cannot be written: a full disk, a read-only file or place, a directory where a file goes. */
export class OutputWriteError extends IitError {}
/** An object was used after dispose(). */
export class DisposedError extends IitError {}
/** The operation was cancelled through an AbortSignal. */
export class AbortError extends IitError {
  constructor(message = "the operation was aborted", options: { cause?: unknown } = {}) {
    super("ABORTED", message, options);
  }
}
/** An experiment config is invalid, or a step's inputs are missing. */
export class ExperimentError extends IitError {}
