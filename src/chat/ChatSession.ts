import type { Message } from "../data/template.js";
import { TokenTexts } from "../model/tokenText.js";
import { AbortError } from "../errors.js";
import { GENERATION_DEFAULTS as D } from "../model/generationDefaults.js";
import { promptTokens } from "../model/templates.js";
import { TextStream } from "../generation/textStream.js";
import type { GenerateOptions, StopReason } from "../model/generationTypes.js";
import type { Model } from "../model/Model.js";
import type { RuleSpec } from "../rules/spec.js";

export interface ChatOptions {
  /** Sampling, template and context of every reply; `rules` here is ignored (see `rules`). */
  generation: GenerateOptions;
  /** The rule adapter `/rules` switches on and off. */
  rules: RuleSpec;
  /** Whether the rules are on at the start. */
  rulesOn: boolean;
}

export interface Candidate {
  text: string;
  logprob: number;
}

/**
 * One conversation with one model: every reply is generated from the whole conversation in the
 * template (earlier turns are dropped, oldest first, only when it no longer fits the context).
 */
export class ChatSession {
  readonly messages: Message[] = [];
  rulesOn: boolean;
  private readonly texts: TokenTexts;

  constructor(
    readonly model: Model,
    readonly opts: ChatOptions,
  ) {
    this.rulesOn = opts.rulesOn;
    this.texts = new TokenTexts(model);
  }

  private get contextSize(): number {
    const m = this.model.meta;
    return (
      this.opts.generation.contextSize ??
      Math.min(m.nCtxTrain > 0 ? m.nCtxTrain : D.maxDefaultContext, D.maxDefaultContext)
    );
  }

  /** `history` plus `user`, with the oldest exchanges dropped until the prompt leaves room for a reply. */
  private fit(history: Message[], user: string): { messages: Message[]; tokens: number[]; dropped: number } {
    const template = this.opts.generation.template ?? D.template;
    let messages: Message[] = [...history, { role: "user", content: user }];
    let dropped = 0;
    const room = Math.min(64, Math.floor(this.contextSize / 4)); // at least this much for the reply
    for (;;) {
      const tokens = promptTokens(this.model, { instruction: user, messages }, template);
      if (tokens.length + room <= this.contextSize || messages.length === 1) return { messages, tokens, dropped };
      messages = messages.slice(messages.length >= 3 ? 2 : 1); // one user + assistant exchange
      dropped++;
    }
  }

  /**
   * Answers `user`, calling `onText` with each piece of the reply as it is generated. An aborted reply
   * keeps what was shown (it stays in the conversation, as the user saw it).
   */
  async reply(
    user: string,
    onText: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<{ text: string; stopReason: StopReason; dropped: number }> {
    const { messages, dropped } = this.fit(this.messages, user);
    const stream = new TextStream(this.texts, this.opts.generation.stop ?? []);
    let shown = "";
    const show = (t: string) => {
      if (!t) return;
      shown += t;
      onText(t);
    };
    let text: string;
    let stopReason: StopReason;
    try {
      const [r] = await this.model.generate(
        { instruction: user, messages },
        {
          ...this.opts.generation,
          rules: this.rulesOn ? this.opts.rules : undefined,
          parallel: 1,
          signal,
          onToken: (_i, t) => show(stream.push(t)),
        },
      );
      show(stream.finish(r.output));
      text = r.output;
      stopReason = r.stopReason;
    } catch (e) {
      if (!(e instanceof AbortError)) throw e;
      text = shown;
      stopReason = "aborted";
    }
    // the conversation from now on is what this reply saw (a failed reply above changed nothing)
    this.messages.splice(0, this.messages.length, ...messages, { role: "assistant", content: text });
    return { text, stopReason, dropped };
  }

  /**
   * The `k` likeliest first tokens of the reply to `user` (nothing is sent), or, without `user`, of the
   * last reply given: under the model alone and under the model with the rules.
   */
  async top(k: number, user?: string): Promise<{ without: Candidate[]; with: Candidate[] } | undefined> {
    let history = this.messages;
    if (user === undefined) {
      if (history.length < 2) return undefined;
      user = history.at(-2)!.content;
      history = history.slice(0, -2);
    }
    const { tokens } = this.fit(history, user);
    const item = [{ tokens, from: tokens.length }];
    const [plain] = await this.model.score(item, { topK: k });
    const [ruled] = await this.model.score(item, { topK: k, rules: this.opts.rules });
    const eog = new Set(this.model.meta.eogIds);
    // end-of-generation tokens have no text: they are shown by their vocabulary piece (e.g. "</s>")
    const name = (id: number) => (eog.has(id) ? this.model.tokenPieces()[id] : this.texts.text(id));
    const named = (ts: { token: number; logprob: number }[]) =>
      ts.map((t) => ({ text: name(t.token), logprob: t.logprob }));
    return { without: named(plain.topNext), with: named(ruled.topNext) };
  }

  reset(): void {
    this.messages.length = 0;
  }
}
