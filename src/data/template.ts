/**
 * The paper's Tulu chat format (open-instruct `encode_with_messages_format`), as plain text:
 * the tags are ordinary text, not special tokens; BOS and EOS are added as token ids by the caller.
 *
 *   user:      "<|user|>\n{content}\n"
 *   assistant: "<|assistant|>\n{content}" + EOS + "\n"
 *   prompt for generation ends with "<|assistant|>\n".
 */
export type Role = "system" | "user" | "assistant";

export interface Message {
  role: Role;
  content: string;
}

export const USER_TAG = "<|user|>";
export const ASSISTANT_TAG = "<|assistant|>";
export const SYSTEM_TAG = "<|system|>";

const TAGS: Record<Role, string> = { system: SYSTEM_TAG, user: USER_TAG, assistant: ASSISTANT_TAG };

/** The generation prompt for one instruction: `<|user|>\n{instruction}\n<|assistant|>\n` (BOS not included). */
export function tuluPrompt(instruction: string): string {
  return tuluPromptFromMessages([{ role: "user", content: instruction }]);
}

/**
 * The generation prompt for a conversation whose last turn is the user's. Earlier assistant turns are
 * rendered without their EOS (the caller tokenizes text only); use {@link tuluSegments} for training.
 */
export function tuluPromptFromMessages(messages: Message[]): string {
  return messages.map((m) => `${TAGS[m.role]}\n${m.content.trim()}\n`).join("") + `${ASSISTANT_TAG}\n`;
}

/** One piece of a training example: text, whether the loss sees it, and whether EOS follows it. */
export interface Segment {
  text: string;
  trainable: boolean;
  eosAfter: boolean;
}

/**
 * Splits a conversation into segments exactly as open-instruct formats it for training: assistant
 * content (plus its EOS) is trainable; tags and user/system turns are not. The whole string is
 * `.strip()`ped in open-instruct, which only matters for the final "\n" after the last EOS: dropped.
 */
export function tuluSegments(messages: Message[]): Segment[] {
  const segs: Segment[] = [];
  messages.forEach((m, i) => {
    const last = i === messages.length - 1;
    if (m.role === "assistant") {
      segs.push({ text: `${ASSISTANT_TAG}\n`, trainable: false, eosAfter: false });
      segs.push({ text: m.content.trim(), trainable: true, eosAfter: true });
      if (!last) segs.push({ text: "\n", trainable: false, eosAfter: false });
    } else {
      segs.push({ text: `${TAGS[m.role]}\n${m.content.trim()}\n`, trainable: false, eosAfter: false });
    }
  });
  return segs;
}
