/** Every error this toolkit throws on purpose: a stable `code`, a message naming the input, and what to try. */
export class IitError extends Error {
  readonly code: string;
  readonly suggestion?: string;

  constructor(code: string, message: string, options: { cause?: unknown; suggestion?: string } = {}) {
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
/** A data file is malformed (the message names the file and line). */
export class DatasetError extends IitError {}
/** Training failed or was given impossible options. */
export class TrainingError extends IitError {}
/** A judge call failed or an annotations file is malformed. */
export class JudgeError extends IitError {}
/** A command-line or library option is invalid. */
export class InvalidOptionError extends IitError {}
/** An object was used after dispose(). */
export class DisposedError extends IitError {}
/** The operation was cancelled through an AbortSignal. */
export class AbortError extends IitError {
  constructor(message = "the operation was aborted") {
    super("ABORTED", message);
  }
}
/** An experiment config is invalid, or a step's inputs are missing. */
export class ExperimentError extends IitError {}
