import { readFile } from "node:fs/promises";
import type { Message, Role } from "../../data/template.js";
import { InvalidOptionError, JudgeError } from "../../errors.js";
import { stripBom } from "../../util/bom.js";

/**
 * A pairwise judge prompt. Placeholders: {instruction}, {output_1}, {output_2} (the outputs in the
 * order presented) and {label_1}, {label_2}. Messages may be separated with ChatML markers
 * (`<|im_start|>system … <|im_end|>`), as AlpacaEval's prompt files are, so those files work as is.
 */
export interface JudgeTemplate {
  /** The template text as given (part of every cache key). */
  text: string;
  /** The answer labels naming output_1 and output_2 of the presented order. */
  labels: [string, string];
  /** Where it came from: "default" or a file path. */
  source: string;
}

/** Our own default prompt (same structure as AlpacaEval 2's weighted judge: one label as the answer). */
export const DEFAULT_TEMPLATE_TEXT = `<|im_start|>system
You are a careful evaluator. You compare two answers to the same instruction and choose the one a thoughtful person would prefer: it follows the instruction, is correct and helpful, and is clear. Length alone is not quality. You reply with one label and nothing else.
<|im_end|>
<|im_start|>user
Here is an instruction and two answers to it, labelled {label_1} and {label_2}.

Instruction:
"""{instruction}"""

Answer {label_1}:
"""{output_1}"""

Answer {label_2}:
"""{output_2}"""

Which answer is better? Reply with exactly one label: {label_1} or {label_2}.
<|im_end|>`;

export const DEFAULT_LABELS: [string, string] = ["m", "M"];

export function defaultTemplate(labels: [string, string] = DEFAULT_LABELS): JudgeTemplate {
  return { text: DEFAULT_TEMPLATE_TEXT, labels, source: "default" };
}

/** Reads a user template; it must mention both outputs, else every judgement would be blind. */
export async function loadTemplate(path: string, labels: [string, string] = DEFAULT_LABELS): Promise<JudgeTemplate> {
  let text: string;
  try {
    text = stripBom(await readFile(path, "utf8"));
  } catch (cause) {
    throw new InvalidOptionError("INVALID_OPTION", `cannot read judge template ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  for (const p of ["{instruction}", "{output_1}", "{output_2}"]) {
    if (!text.includes(p)) {
      throw new JudgeError("JUDGE_TEMPLATE_INVALID", `judge template ${path} has no ${p} placeholder`, {
        suggestion:
          "use {instruction}, {output_1}, {output_2} (and optionally {label_1}, {label_2}), as AlpacaEval's prompt files do",
      });
    }
  }
  return { text, labels, source: path };
}

/** Parses `--labels a,b`. */
export function parseLabels(v: string): [string, string] {
  const parts = v.split(",").map((s) => s.trim());
  if (parts.length !== 2 || !parts[0] || !parts[1] || parts[0] === parts[1]) {
    throw new InvalidOptionError("INVALID_OPTION", `--labels expects two different labels as "a,b", got "${v}"`);
  }
  return [parts[0], parts[1]];
}

/**
 * The chat messages for one presented pair, as AlpacaEval builds them (placeholders filled, then each
 * ChatML block's content stripped). One pass, so placeholders inside the outputs stay literal.
 */
export function renderTemplate(t: JudgeTemplate, instruction: string, first: string, second: string): Message[] {
  const values: Record<string, string> = {
    instruction,
    output_1: first,
    output_2: second,
    label_1: t.labels[0],
    label_2: t.labels[1],
  };
  const fill = (s: string) =>
    s.replace(/\{(instruction|output_1|output_2|label_1|label_2)\}/g, (_, k: string) => values[k]);
  return splitChatml(t.text).map((m) => ({ role: m.role, content: fill(m.content).trim() }));
}

/** ChatML blocks become messages; text without markers is a single user message. */
function splitChatml(text: string): Message[] {
  const re = /<\|im_start\|>\s*(system|user|assistant)\s*\n([\s\S]*?)<\|im_end\|>/g;
  const out: Message[] = [];
  for (const m of text.matchAll(re)) out.push({ role: m[1] as Role, content: m[2] });
  if (out.length === 0) return [{ role: "user", content: text.trim() }];
  if (out.at(-1)!.role !== "user") {
    throw new JudgeError("JUDGE_TEMPLATE_INVALID", "the judge template's last ChatML message must be the user's", {
      suggestion: "end the template with a <|im_start|>user … <|im_end|> block",
    });
  }
  return out;
}

/** Flattens messages for judges that take raw text. */
export function messagesToText(messages: Message[]): string {
  return messages.map((m) => m.content).join("\n\n") + "\n";
}
