import { z } from "zod";

/** What one Slurm job asks for. Unset fields are left to the cluster's defaults. */
export const slurmResourcesSchema = z
  .object({
    /** `--cpus-per-task` (match the config's `threads`). */
    cpus: z.int().min(1).optional(),
    /** GPUs as `--gres=gpu:N`, or a typed request such as `"a100:1"`. */
    gpus: z
      .union([z.int().min(0), z.string().regex(/^[A-Za-z0-9_.-]+:\d+$/, 'use a count or "type:count"')])
      .optional(),
    /** `--mem`, e.g. `"32G"`. */
    mem: z
      .string()
      .regex(/^\d+[KMGT]?$/i, 'use a size such as "16G" or "4000M"')
      .optional(),
    /** `--time`, e.g. `"12:00:00"` or `"1-00:00:00"`. */
    time: z.string().min(1).optional(),
    partition: z.string().min(1).optional(),
    /** Extra sbatch flags, e.g. `["--account=nlp", "--qos=high"]`. */
    sbatch: z.array(z.string().regex(/^--?[A-Za-z]/, "each entry is one sbatch flag, e.g. --account=nlp")).optional(),
  })
  .strict();

/** The `slurm` section of an experiment config: used by `iit experiment submit --slurm` only (never hashed). */
export const slurmSchema = z
  .object({
    /**
     * Resources by step: `default`, then a step kind (`train`), an arm, `arm/kind`, or a step id; the more
     * specific key wins field by field.
     */
    resources: z.record(z.string().min(1), slurmResourcesSchema).optional(),
    /** Shell lines run before the step in every job, e.g. `["module load cuda/12.4"]`. */
    setup: z.array(z.string()).optional(),
    /** How jobs start the CLI; defaults to this installation's `node dist/cli/main.js`. */
    command: z.string().min(1).optional(),
  })
  .strict();

export type SlurmResources = z.output<typeof slurmResourcesSchema>;
export type SlurmSettings = z.output<typeof slurmSchema>;
