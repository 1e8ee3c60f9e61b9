/**
 * Guard stage (output guard): checks the answer sentence by sentence as it streams; a sentence
 * that states an ungrounded price, title, order id or link is dropped before it is sent
 * (`guardrail_removed_sentences`). Mode 'off' passes tokens through unchecked. Metric stage
 * "guardrails" (time spent checking).
 */
import { checkGrounding, splitSentences } from '../guardrails.ts';
import type { EntityPattern } from '../../../../shared/cache/entities.ts';
import type { Run } from './run.ts';

export class SentenceGuard {
  private pending = '';
  private ms = 0;
  readonly removed: string[] = [];

  constructor(
    private readonly mode: 'sentence' | 'off',
    private grounding: string,
    private readonly titles: string[],
    private readonly ids: readonly EntityPattern[],
  ) {}

  /** Text the answer may also be grounded in (records the generator looked up itself, before its first token). */
  addGrounding(text: string): void {
    this.grounding += `\n${text}`;
  }

  get groundingText(): string {
    return this.grounding;
  }

  /** The text that may be sent now (all of it when off; else the complete sentences that passed). */
  push(text: string): string[] {
    if (this.mode === 'off') return [text];
    this.pending += text;
    return this.flush(false);
  }

  /** The end of the answer: the last sentence too. */
  end(): string[] {
    return this.mode === 'off' ? [] : this.flush(true);
  }

  private flush(final: boolean): string[] {
    // Every sentence but the last is complete; the last waits for more text unless this is the end.
    const parts = splitSentences(this.pending);
    const ready = final ? parts : parts.slice(0, -1);
    this.pending = final ? '' : (parts.at(-1) ?? '');
    const out: string[] = [];
    for (const s of ready) {
      if (!s) continue;
      const t = performance.now();
      const g = checkGrounding(s, this.grounding, this.titles, this.ids);
      this.ms += performance.now() - t;
      if (g.removed.length) this.removed.push(...g.removed.map((r) => r.reason));
      else out.push(s);
    }
    return out;
  }

  /** Records the stage's time and its degradation once the answer has ended. */
  report(run: Run): void {
    run.stage('guardrails', this.ms);
    if (this.removed.length) run.fallback('guardrail_removed_sentences');
  }
}
