/**
 * The output limits of an OpenAI completion applied to a stream of text: `stop` sequences (the
 * text ends before the first one) and `max_tokens` (the text ends at the budget, with
 * finish_reason "length"). Tokens are counted as the region bills them: 4 characters ≈ 1 token.
 * Text that could be the start of a stop sequence is held back until it is known not to be one.
 */
export const CHARS_PER_TOKEN = 4;

export const approxTokens = (s: string): number => Math.ceil(s.length / CHARS_PER_TOKEN);

export type FinishReason = 'stop' | 'length';

export class TextLimits {
  private held = '';
  private sent = 0;
  private readonly maxChars: number;
  private readonly hold: number;
  /** Set once the text has ended early (a stop sequence or the budget). */
  finished: FinishReason | null = null;

  constructor(
    private readonly stop: readonly string[],
    maxTokens?: number,
  ) {
    this.maxChars = maxTokens === undefined ? Infinity : maxTokens * CHARS_PER_TOKEN;
    this.hold = Math.max(0, ...stop.map((s) => s.length - 1));
  }

  /** The part of `text` that may go out now ('' while held back or after the end). */
  push(text: string): string {
    if (this.finished) return '';
    this.held += text;
    const at = this.stop.reduce((min, s) => {
      const i = this.held.indexOf(s);
      return i >= 0 && i < min ? i : min;
    }, Infinity);
    if (at !== Infinity) {
      this.held = this.held.slice(0, at);
      return this.release(this.held.length, 'stop');
    }
    return this.release(Math.max(0, this.held.length - this.hold), null);
  }

  /** The rest at the end of the source text. */
  flush(): string {
    return this.finished ? '' : this.release(this.held.length, null);
  }

  private release(n: number, reason: FinishReason | null): string {
    const room = this.maxChars - this.sent;
    let out = this.held.slice(0, n);
    if (out.length >= room && (out.length > room || this.held.length > n)) {
      out = out.slice(0, room);
      reason = 'length';
    }
    this.held = this.held.slice(out.length);
    this.sent += out.length;
    if (reason) {
      this.finished = reason;
      this.held = '';
    }
    return out;
  }
}
