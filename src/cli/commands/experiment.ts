import { Command } from "commander";
import { loadExperimentConfig } from "../../experiment/config.js";
import { experimentJsonSchema } from "../../experiment/configSchema.js";
import { readFileSync } from "node:fs";
import "../../experiment/labSteps.js"; // lab configs: the lab's step kinds
import { collectExperiment, runExperiment } from "../../experiment/runExperiment.js";
import type { ExperimentEvent, ExperimentRun } from "../../experiment/types.js";
import { experimentStatus, submitExperiment } from "../../experiment/slurm.js";
import { InvalidOptionError } from "../../errors.js";
import { handlesInterrupts } from "../earlySignals.js";
import { collect, interruptSignal, printJson } from "../util.js";

function progress(quiet: boolean) {
  let last = "";
  return (e: ExperimentEvent) => {
    if (quiet) return;
    if (e.type === "step-start") process.stderr.write(`▶ ${e.step}\n`);
    else if (e.type === "step-cached") process.stderr.write(`✓ ${e.step} (cached)\n`);
    else if (e.type === "step-done") process.stderr.write(`✓ ${e.step} in ${e.seconds.toFixed(1)} s\n`);
    else if (e.type === "step-failed") process.stderr.write(`✗ ${e.step}: [${e.code}] ${e.message}\n`);
    else if (e.type === "step-waiting") process.stderr.write(`… ${e.step}: ${e.message}\n`);
    else if (e.type === "step-skipped") process.stderr.write(`- ${e.step} skipped (needs ${e.after.join(", ")})\n`);
    else if (e.type === "progress" && process.stderr.isTTY) {
      const line = `  ${e.step}: ${e.done}/${e.total} ${e.unit}`;
      if (line !== last) process.stderr.write(`\r${line}\x1b[K${e.done === e.total ? "\n" : ""}`);
      last = line;
    }
  };
}

function describeDryRun(r: ExperimentRun): string {
  const lines = [`${r.experiment}: ${r.steps.length} steps in ${r.output}`];
  for (const s of r.steps) {
    const files = Object.entries(s.inputs.files).map(([k, v]) => `${k}=${v}`);
    const deps = Object.entries(s.inputs.deps).map(([k, v]) => (k === v ? v : `${k}=${v}`));
    lines.push(
      `${s.status === "done" ? "✓" : s.missing ? "✗" : "·"} ${s.id.padEnd(32)} ${s.hash.slice(0, 12)}  ${s.status}`,
    );
    if (s.missing)
      lines.push(
        `    MISSING: ${Object.entries(s.missing)
          .map(([k, v]) => `${k}=${v}`)
          .join(", ")}`,
      );
    if (files.length) lines.push(`    files: ${files.join(", ")}`);
    if (deps.length) lines.push(`    after: ${deps.join(", ")}`);
  }
  return lines.join("\n") + "\n";
}

const runCommand = handlesInterrupts(new Command("run"))
  .description(
    "run an experiment config (JSON or YAML): convert, train, generate, judge, aggregate; cached by input hashes, resumable",
  )
  .argument("<config>", "experiment config file (see `iit experiment schema`, examples/micro.json)")
  .option(
    "--only <pattern>",
    "only these steps: an id (arm/s1/train), an arm, arm/kind, or a kind (repeatable)",
    collect(String),
    [],
  )
  .option("--dry-run", "list every step with its inputs, hash and status; run nothing")
  .option("--keep-going", "on a failed step, skip what needs it, run the rest and aggregate what finished (exit 1)")
  .option("--json", "print one JSON object on stdout")
  .action(
    async (configPath: string, opts: { only: string[]; dryRun?: boolean; keepGoing?: boolean; json?: boolean }) => {
      const signal = interruptSignal(); // first: a signal while the config loads also exits 130
      const config = loadExperimentConfig(configPath);
      const only = opts.only;
      const r = await runExperiment(config, {
        only: only.length ? only : undefined,
        dryRun: !!opts.dryRun,
        keepGoing: !!opts.keepGoing,
        signal,
        onEvent: progress(!!opts.json),
      });
      if (opts.json) printJson(r);
      else if (r.dryRun) process.stdout.write(describeDryRun(r));
      else {
        const failed = r.failed.length ? `, ${r.failed.length} failed, ${r.skipped.length} skipped` : "";
        process.stderr.write(
          `${r.aborted ? "interrupted" : "done"}: ${r.executed.length} steps run, ${r.cached.length} cached${failed}, output in ${r.output}\n`,
        );
        if (r.files) process.stdout.write(readFileSync(r.files.markdown, "utf8"));
      }
      if (r.aborted) process.exitCode = 130;
      else if (r.failed.length) process.exitCode = 1;
    },
  );

export { describeDryRun, progress as experimentProgress };

const collectCommand = new Command("collect")
  .description("aggregate the finished steps of an experiment into the results table (after --only runs elsewhere)")
  .argument("<config>", "experiment config file")
  .option(
    "--from <dir>",
    "another output directory to copy finished step directories from (repeatable)",
    collect(String),
    [],
  )
  .option("--json", "print one JSON object on stdout")
  .action(async (configPath: string, opts: { from: string[]; json?: boolean }) => {
    const r = await collectExperiment(loadExperimentConfig(configPath), { from: opts.from });
    if (opts.json) printJson(r);
    else {
      process.stderr.write(
        `copied ${r.copied.length} step(s); ${r.missing.length} step(s) not finished${r.missing.length ? `: ${r.missing.join(", ")}` : ""}\n`,
      );
      process.stdout.write(readFileSync(r.files.markdown, "utf8"));
    }
  });

const submitCommand = new Command("submit")
  .description(
    "submit the experiment's unfinished steps as a Slurm job graph (one job per step, afterok edges); see docs/cluster.md",
  )
  .argument("<config>", 'experiment config file (its "slurm" section sets resources per step)')
  .option("--slurm", "submit to Slurm with sbatch (the only scheduler so far)")
  .option("--dry-run", "print the sbatch scripts; submit nothing")
  .option(
    "--sbatch <flag>",
    "an extra sbatch flag for every job, e.g. --sbatch=--account=nlp (repeatable)",
    collect(String),
    [],
  )
  .option("--json", "print one JSON object on stdout")
  .action(async (configPath: string, opts: { slurm?: boolean; dryRun?: boolean; sbatch: string[]; json?: boolean }) => {
    if (!opts.slurm) throw new InvalidOptionError("INVALID_OPTION", "iit experiment submit needs a scheduler: --slurm");
    const r = await submitExperiment(loadExperimentConfig(configPath), { dryRun: !!opts.dryRun, sbatch: opts.sbatch });
    if (opts.json) return printJson(r);
    const missing = (m: Record<string, string>) =>
      Object.entries(m)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ");
    if (r.dryRun)
      for (const j of r.submitted)
        process.stdout.write(
          `# ---- ${j.step} ----\n${j.missing ? `# MISSING: ${missing(j.missing)}\n` : ""}${j.script}\n`,
        );
    else
      for (const j of r.submitted)
        process.stderr.write(
          `submitted ${j.step} as job ${j.job}${j.after.length ? ` after ${j.after.join(", ")}` : ""}\n`,
        );
    const live = r.live.length ? `, ${r.live.length} already queued or running` : "";
    process.stderr.write(
      `${r.experiment}: ${r.dryRun ? "would submit" : "submitted"} ${r.submitted.length} job(s); ${r.done.length} step(s) done${live}; follow with: iit experiment status ${configPath}\n`,
    );
    const absent = r.submitted.filter((j) => j.missing);
    if (absent.length)
      process.stderr.write(
        `MISSING inputs in ${absent.length} step(s) (submit refuses until they exist): ${absent.map((j) => `${j.step} ${missing(j.missing!)}`).join("; ")}\n`,
      );
  });

const STATE_MARK = { done: "✓", running: "▶", queued: "·", failed: "✗", missing: "-" } as const;

const statusCommand = new Command("status")
  .description("each step: done, queued, running, failed or missing, with its Slurm job and log")
  .argument("<config>", "experiment config file")
  .option("--json", "print one JSON object on stdout")
  .action(async (configPath: string, opts: { json?: boolean }) => {
    const r = await experimentStatus(loadExperimentConfig(configPath));
    if (opts.json) return printJson(r);
    const counts = Object.entries(r.counts)
      .filter(([, n]) => n)
      .map(([k, n]) => `${n} ${k}`);
    const lines = [`${r.experiment}: ${r.steps.length} steps in ${r.output}: ${counts.join(", ")}`];
    for (const s of r.steps) {
      const job = s.job ? `  job ${s.job} ${s.slurm}` : "";
      lines.push(`${STATE_MARK[s.state]} ${s.id.padEnd(32)} ${s.state.padEnd(8)}${job}`.trimEnd());
      if (s.log && s.state !== "done") lines.push(`    log: ${s.log}`);
    }
    process.stdout.write(lines.join("\n") + "\n");
  });

const schemaCommand = new Command("schema")
  .description("print the JSON Schema of experiment configs")
  .action(() => printJson(experimentJsonSchema()));

export const experimentCommand = new Command("experiment")
  .description("the paper's tables from one config: arms × seeds, win rates against a reference arm")
  .addCommand(runCommand.exitOverride())
  .addCommand(collectCommand.exitOverride())
  .addCommand(submitCommand.exitOverride())
  .addCommand(statusCommand.exitOverride())
  .addCommand(schemaCommand.exitOverride());
