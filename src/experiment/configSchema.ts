// The experiment config's format: zod schemas of every section, with the checks that span fields
// (arm names unique, trained arms have data, the reference exists). `iit experiment schema` prints it.
import { z } from "zod";
import { DATASET_FORMATS } from "../data/convert/index.js";
import { LAB_FITTED_RULES } from "../lab/files.js";
import { TEMPLATE_NAMES } from "../model/generationTypes.js";
import { RULE_NAMES } from "../rules/spec.js";
import { slurmSchema } from "./slurmConfig.js";

/** Generation settings of an arm (every field optional; arms inherit the experiment's). */
export const generationSchema = z
  .object({
    template: z.enum(TEMPLATE_NAMES).optional(),
    maxTokens: z.int().min(1).optional(),
    temperature: z.number().min(0).optional(),
    topK: z.int().min(0).optional(),
    topP: z.number().gt(0).max(1).optional(),
    minP: z.number().min(0).max(1).optional(),
    /** Sampling seed; with temperature > 0 the arm's seed is used instead unless this is set. */
    seed: z.int().optional(),
    stop: z.array(z.string()).optional(),
    parallel: z.int().min(1).optional(),
    contextSize: z.int().min(16).optional(),
  })
  .strict();

/** Training settings (src/training/types.ts TrainOptions, minus paths, mode and seed). */
export const trainingSchema = z
  .object({
    epochs: z.int().min(1).optional(),
    lr: z.number().gt(0).optional(),
    /** After warmup: "linear" decay to 0 (default) or "constant" (src/training/schedule.ts). */
    lrSchedule: z.enum(["linear", "constant"]).optional(),
    warmupRatio: z.number().min(0).max(1).optional(),
    batchSize: z.int().min(1).optional(),
    weightDecay: z.number().min(0).optional(),
    /** "example" (default, the paper's) or "token" (src/training/loss.ts). */
    lossReduction: z.enum(["example", "token"]).optional(),
    /** Global gradient L2 norm clip; default 1.0 (the paper's), 0 = none. */
    maxGradNorm: z.number().min(0).optional(),
    valFraction: z.number().min(0).lt(1).optional(),
    nCtx: z.int().min(16).optional(),
    pack: z.boolean().optional(),
    /** Train a LoRA adapter of this rank instead of the full weights. */
    loraRank: z.int().min(1).optional(),
    loraAlpha: z.number().gt(0).optional(),
    loraTargets: z.array(z.string().min(1)).optional(),
    /**
     * Lab experiments: the training budgets (epochs, ascending, at most 5) the dev prompts choose among, as
     * the paper chose among epoch counts. One run of the largest budget is snapshotted at the end of each;
     * the best budget's snapshot is the arm's model. Sets epochs to the largest budget.
     */
    budgets: z
      .array(z.int().min(1))
      .min(1)
      .max(5)
      .refine((b) => b.every((x, i) => i === 0 || x > b[i - 1]), "budgets must be ascending epoch counts")
      .optional(),
  })
  .strict()
  .refine((t) => !t.budgets || t.epochs === undefined || t.epochs === t.budgets.at(-1), {
    message: "with budgets, epochs is the largest budget: leave epochs out",
  });

export const dataSchema = z
  .object({
    /** The source file (relative to the config file). */
    path: z.string().min(1),
    /** Converter (`iit data convert --format`); defaults to the single-task dataset name, else `messages`. */
    format: z.enum(DATASET_FORMATS as [string, ...string[]]).optional(),
    /** Only the first N examples (default: the paper's cap for the format). */
    maxExamples: z.int().min(1).optional(),
    /** Empty every user turn; defaults to true for response-tuned arms, false otherwise. */
    dropInstructions: z.boolean().optional(),
  })
  .strict();

export const ARM_KINDS = [
  "base",
  "instruction-tuned",
  "response-tuned",
  "single-task",
  "rules",
  "lora",
  "expert",
] as const;
export type ArmKind = (typeof ARM_KINDS)[number];

const typeRe = /^(base|instruction-tuned|response-tuned)$|^(single-task|lora|expert):.+$|^rules(:.+)?$/;

export const armSchema = z
  .object({
    /** Row name in the table; defaults to the type. Letters, digits, `.`, `_`, `-`. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "use letters, digits, '.', '_' and '-' (it names directories)")
      .optional(),
    /**
     * base | instruction-tuned | response-tuned | single-task:<dataset> | rules[:preset|file] |
     * lora:<adapter.gguf> | expert:<model.gguf>
     */
    type: z
      .string()
      .regex(
        typeRe,
        `expected one of base, instruction-tuned, response-tuned, single-task:<dataset>, rules[:preset|file], lora:<file>, expert:<model>`,
      ),
    /** Training data (trained arms). */
    data: dataSchema.optional(),
    training: trainingSchema.optional(),
    generation: generationSchema.optional(),
    /** Seeds of this arm (trained arms train once per seed); defaults to the experiment's. */
    seeds: z.array(z.int()).min(1).optional(),
    /** rules arms: rules switched off (the paper's ablations). */
    disable: z.array(z.enum(RULE_NAMES as [string, ...string[]])).optional(),
    /** lora arms: the adapter's scale. Defaults to 1. */
    scale: z.number().optional(),
    /** expert arms: the expert's weight. Defaults to 1. */
    weight: z.number().optional(),
    /** Prompts of this arm instead of the evaluation's (same rows in another format, e.g. `lab:eval-probe`). */
    instructions: z.string().min(1).optional(),
  })
  .strict();

export const evaluationSchema = z
  .object({
    /** Prompts: JSONL of {instruction}, messages JSONL, or an AlpacaEval JSON array. */
    instructions: z.string().min(1),
    /** Only the first N instructions. */
    maxInstructions: z.int().min(1).optional(),
    /** The arm every other arm is judged against (the paper: the instruction-tuned model of the same seed). */
    reference: z.string().min(1),
    /** A local GGUF judge, or openai:BASE_URL. Optional with `grader: "lab"`. */
    judge: z.string().min(1).optional(),
    /** `lab`: grade every arm's outputs exactly against the lab world's facts (needs a `lab` section). */
    grader: z.enum(["lab"]).optional(),
    /** HTTP judges: the model name. */
    judgeModel: z.string().optional(),
    /** HTTP judges: environment variable holding the API key. Defaults to OPENAI_API_KEY. */
    judgeKeyEnv: z.string().optional(),
    /** Local judges: longest prompt in tokens (the library's `local.contextSize`). */
    judgeContextSize: z.int().min(16).optional(),
    /** Local judges: prompt format. */
    judgeFormat: z.enum(TEMPLATE_NAMES).optional(),
    /**
     * The judge prompt: "default" (ours) or a file with {instruction}, {output_1}, {output_2} in ChatML
     * system/user blocks, e.g. AlpacaEval 2's alpaca_eval_clf_gpt4_turbo.txt (the paper's judge).
     */
    judgeTemplate: z.string().min(1).optional(),
    /** HTTP judges: the temperature of each request (AlpacaEval's weighted judge: 1; the logprobs do not depend on it). Defaults to 0. */
    judgeTemperature: z.number().min(0).max(2).optional(),
    /** HTTP judges: requests in flight. */
    judgeConcurrency: z.int().min(1).optional(),
    /** Judge both presentation orders and average them. Defaults to true. */
    bothOrders: z.boolean().optional(),
    /** Seed of the per-pair presentation order (single order only). Defaults to 42. */
    judgeSeed: z.int().optional(),
    /**
     * Also AlpacaEval 2's length-controlled win rate in the tables and the report (needs
     * `iit data get alpaca-eval-lc` in IIT_DATA_DIR or the package's data/; instructions in AlpacaEval's order).
     */
    lengthControlled: z.boolean().optional(),
  })
  .strict();

export const analysesSchema = z
  .object({
    /** Paper Fig. 5 for trained arms (default: the single-task arms), on their first seed. */
    similarity: z
      .object({
        /** Any GGUF used as a mean-pooled embedder (the paper: nomic-embed-text-v1). */
        embedder: z.string().min(1),
        /** General data to contrast with (messages JSONL; the paper: LIMA). */
        generalData: z.string().min(1),
        /** Arms to analyse (trained arms). Defaults to every single-task arm. */
        arms: z.array(z.string()).optional(),
        /** Only the first N examples of each data file. Defaults to 1000. */
        maxExamples: z.int().min(1).optional(),
        /** Tokens per text (longer texts are truncated). Defaults to 512. */
        contextSize: z.int().min(8).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const experimentSchema = z
  .object({
    $schema: z.string().optional(),
    /** Names the output directory (default `runs/<name>` next to the config). */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "use letters, digits, '.', '_' and '-'"),
    description: z.string().optional(),
    /** The base model GGUF every arm starts from (relative to the config file, or hf:…). */
    baseModel: z.string().min(1),
    /** Output directory (relative to the config file). */
    output: z.string().optional(),
    /** Seeds of every arm unless the arm says otherwise. Defaults to [1]. */
    seeds: z.array(z.int()).min(1).optional(),
    /** CPU threads for every step (never more than the cores). */
    threads: z.int().min(1).optional(),
    /** GPU layers (-1 = all) on GPU builds. */
    gpuLayers: z.int().optional(),
    /** Defaults for every arm's generation. */
    generation: generationSchema.optional(),
    /** Defaults for every trained arm. */
    training: trainingSchema.optional(),
    arms: z.array(armSchema).min(1),
    /** The lab (docs/lab.md): the world the base model was pretrained on; its files are `lab:<name>` sources. */
    lab: z
      .object({
        world: z.int(),
        /** Budget of the fit step behind `rules:lab:fitted` arms (iit rules fit --max-evals). Defaults to 60. */
        fitEvals: z.int().min(1).optional(),
      })
      .strict()
      .optional(),
    evaluation: evaluationSchema,
    analyses: analysesSchema.optional(),
    /** Slurm resources per step for `iit experiment submit --slurm` (docs/cluster.md). */
    slurm: slurmSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = new Map<string, number>();
    c.arms.forEach((a, i) => {
      const name = a.name ?? a.type;
      if (names.has(name)) {
        ctx.addIssue({
          code: "custom",
          path: ["arms", i, "name"],
          message: `arm name "${name}" is used twice (arms.${names.get(name)} too): give each a unique name`,
        });
      }
      names.set(name, i);
      const kind = armKind(a.type);
      const trained = kind === "instruction-tuned" || kind === "response-tuned" || kind === "single-task";
      if (trained && !a.data)
        ctx.addIssue({
          code: "custom",
          path: ["arms", i, "data"],
          message: `a ${kind} arm needs training data: {"path": ...}`,
        });
      if (!trained && (a.data || a.training)) {
        ctx.addIssue({
          code: "custom",
          path: ["arms", i, a.data ? "data" : "training"],
          message: `a ${kind} arm is not trained: remove this field`,
        });
      }
      if (a.disable && kind !== "rules")
        ctx.addIssue({
          code: "custom",
          path: ["arms", i, "disable"],
          message: "only rules arms have rules to disable",
        });
      if (kind === "single-task") {
        const ds = a.type.slice("single-task:".length);
        if (!a.data?.format && !(DATASET_FORMATS as string[]).includes(ds)) {
          ctx.addIssue({
            code: "custom",
            path: ["arms", i, "data", "format"],
            message: `"${ds}" is not a converter name (${DATASET_FORMATS.join(", ")}): set data.format`,
          });
        }
      }
    });
    c.analyses?.similarity?.arms?.forEach((name, i) => {
      const a = c.arms.find((x) => (x.name ?? x.type) === name);
      const kind = a && armKind(a.type);
      if (!a || !(kind === "instruction-tuned" || kind === "response-tuned" || kind === "single-task")) {
        ctx.addIssue({
          code: "custom",
          path: ["analyses", "similarity", "arms", i],
          message: `"${name}" is not a trained arm (similarity compares a tuned model with its training data)`,
        });
      }
    });
    if (!c.evaluation.judge && c.evaluation.grader !== "lab") {
      ctx.addIssue({
        code: "custom",
        path: ["evaluation", "judge"],
        message: 'give a judge (a GGUF or openai:URL), or grader "lab"',
      });
    }
    if (c.evaluation.lengthControlled && !c.evaluation.judge) {
      ctx.addIssue({
        code: "custom",
        path: ["evaluation", "lengthControlled"],
        message: "the length-controlled win rate needs judged annotations: give a judge",
      });
    }
    if (c.evaluation.grader === "lab" && !c.lab) {
      ctx.addIssue({ code: "custom", path: ["lab"], message: 'grader "lab" needs a lab section: {"world": SEED}' });
    }
    const labPaths = [c.evaluation.instructions, ...c.arms.flatMap((a) => [a.data?.path, a.instructions])].filter(
      (x): x is string => !!x && x.startsWith("lab:"),
    );
    const fitted = c.arms.find((a) => a.type === `rules:${LAB_FITTED_RULES}`);
    if (fitted && !c.lab)
      ctx.addIssue({
        code: "custom",
        path: ["lab"],
        message: `rules:${LAB_FITTED_RULES} fits rules on a lab world's dev prompts: add a lab section {"world": SEED}`,
      });
    if (labPaths.length && !c.lab)
      ctx.addIssue({
        code: "custom",
        path: ["lab"],
        message: `${labPaths[0]} names a lab source: add a lab section {"world": SEED}`,
      });
    if (!names.has(c.evaluation.reference)) {
      ctx.addIssue({
        code: "custom",
        path: ["evaluation", "reference"],
        message: `no arm named "${c.evaluation.reference}" (arms: ${[...names.keys()].join(", ")})`,
      });
    }
  });

export type ExperimentConfigInput = z.input<typeof experimentSchema>;
export type ExperimentConfigRaw = z.output<typeof experimentSchema>;
export type ArmConfigRaw = z.output<typeof armSchema>;
export type GenerationSettings = z.output<typeof generationSchema>;
export type TrainingSettings = z.output<typeof trainingSchema>;

export function armKind(type: string): ArmKind {
  return type.split(":")[0] as ArmKind;
}

/** The published JSON Schema of experiment configs. */
export function experimentJsonSchema(): unknown {
  return z.toJSONSchema(experimentSchema, { io: "input", unrepresentable: "any" });
}
