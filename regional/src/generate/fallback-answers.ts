/** The last clean answers per intent, served (marked) when every LLM region is down or slow. */
export interface FallbackAnswer {
  question: string;
  text: string;
  sources: string[];
  at: number;
}

export class FallbackAnswers {
  private readonly byIntent = new Map<string, FallbackAnswer[]>();

  constructor(private readonly perIntent = 20) {}

  remember(intent: string | undefined, a: FallbackAnswer): void {
    if (!intent || intent === 'oos' || intent === 'unknown') return;
    const list = this.byIntent.get(intent) ?? [];
    list.unshift(a);
    list.length = Math.min(list.length, this.perIntent);
    this.byIntent.set(intent, list);
  }

  /** The remembered answer of this intent whose question shares the most words with `question`. */
  find(intent: string | undefined, question: string): FallbackAnswer | null {
    const list = intent ? this.byIntent.get(intent) : undefined;
    if (!list?.length) return null;
    const words = new Set(question.toLowerCase().match(/\p{L}{3,}|\p{N}+/gu) ?? []);
    let best = list[0];
    let bestScore = -1;
    for (const a of list) {
      const score = (a.question.toLowerCase().match(/\p{L}{3,}|\p{N}+/gu) ?? []).filter((w) => words.has(w)).length;
      if (score > bestScore) (best = a), (bestScore = score);
    }
    return best;
  }
}
