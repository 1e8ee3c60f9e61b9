/**
 * One message in the conversation log. Text is only ever set as text (never parsed as HTML). A
 * streaming answer is `aria-busy` until it is complete, so screen readers announce it once, whole,
 * from the log's live region; under it, discreetly, where it came from and how long it took.
 */
import { formatDuration, type Origin, type Strings } from './strings.ts';

export class MessageView {
  readonly li: HTMLLIElement;
  private readonly bubble: HTMLDivElement;
  private readonly text: Text;
  private meta: HTMLParagraphElement | null = null;

  constructor(log: HTMLOListElement, who: 'user' | 'bot', initial = '') {
    this.li = document.createElement('li');
    this.li.className = `msg ${who}`;
    this.bubble = document.createElement('div');
    this.bubble.className = 'bubble';
    this.text = document.createTextNode(initial);
    this.bubble.append(this.text);
    this.li.append(this.bubble);
    log.append(this.li);
    this.scroll();
  }

  busy(on: boolean): void {
    this.li.setAttribute('aria-busy', String(on));
  }

  setText(text: string): void {
    this.text.data = text;
    this.scroll();
  }

  append(text: string): void {
    this.text.data += text;
    this.scroll();
  }

  get content(): string {
    return this.text.data;
  }

  setOrigin(origin: Origin): void {
    this.li.dataset.origin = origin;
  }

  /** Marks the answer complete and shows its origin and duration. */
  finish(origin: Origin, ms: number, strings: Strings, locale: string): void {
    this.setOrigin(origin);
    this.li.dataset.ms = String(Math.round(ms));
    this.meta ??= this.li.appendChild(document.createElement('p'));
    this.meta.className = 'meta';
    this.meta.textContent = `${strings.origin[origin]} · ${formatDuration(ms, locale)}`;
    this.busy(false);
    this.scroll();
  }

  private scroll(): void {
    const log = this.li.parentElement;
    if (log) log.scrollTop = log.scrollHeight;
  }
}
