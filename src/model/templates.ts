import { Template } from "@huggingface/jinja";
import { tuluPromptFromMessages, type Message } from "../data/template.js";
import { InvalidOptionError } from "../errors.js";
import type { Model } from "./Model.js";
import type { PromptInput, TemplateName } from "./generationTypes.js";

export function promptMessages(p: PromptInput): Message[] {
  if (typeof p === "string") return [{ role: "user", content: p }];
  return p.messages?.length ? p.messages : [{ role: "user", content: p.instruction }];
}

export function promptInstruction(p: PromptInput): string {
  return typeof p === "string" ? p : p.instruction;
}

/**
 * Prompt token ids:
 * - tulu: BOS (when the GGUF adds one) + "<|user|>\n{instruction}\n<|assistant|>\n" (tags as plain text, as the paper's code);
 * - model: the GGUF's own chat template (Jinja), special tokens parsed;
 * - raw: the instruction text as is, with BOS when the model adds one.
 */
export function promptTokens(model: Model, p: PromptInput, template: TemplateName): number[] {
  const meta = model.meta;
  switch (template) {
    case "tulu":
      return [...model.bosPrefix, ...model.tokenize(tuluPromptFromMessages(promptMessages(p)))];
    case "raw":
      return model.tokenize(promptInstruction(p), { addSpecial: true });
    case "model": {
      if (!meta.chatTemplate) {
        throw new InvalidOptionError(
          "NO_CHAT_TEMPLATE",
          `${model.path} has no chat template (tokenizer.chat_template)`,
          {
            suggestion: "use --template tulu (the paper's format) or --template raw",
          },
        );
      }
      const piece = (id: number) => (id >= 0 ? model.detokenize([id], { unparseSpecial: true }) : "");
      const text = new Template(meta.chatTemplate).render({
        messages: promptMessages(p),
        add_generation_prompt: true,
        bos_token: piece(meta.bos),
        eos_token: piece(meta.eos),
      });
      return model.tokenize(text, { addSpecial: false, parseSpecial: true });
    }
    default:
      throw new InvalidOptionError("INVALID_OPTION", `unknown template "${template as string}"`, {
        suggestion: "use tulu, model or raw",
      });
  }
}
