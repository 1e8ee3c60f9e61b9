/**
 * Template answers, given at the edge with no upstream call: for a template intent, the store FAQ
 * entry of that intent closest to the message (when similar enough), else the intent's template
 * variant whose cue words the message contains.
 */
import { cosine } from '../models/sentence-embedder.ts';

export interface TemplatesFile {
  faqMinSimilarity: number;
  intents: Record<string, { source: string; variants: { when: string[]; text: string }[] }>;
  handoff: string;
}

export interface FaqEntry {
  id: string;
  question: string;
  answer: string;
  intent: string;
}

export interface TemplateAnswer {
  text: string;
  source: string;
  similarity?: number;
}

export class TemplateAnswers {
  private faqVectors: { entry: FaqEntry; vector: Float32Array }[] = [];

  constructor(
    private readonly templates: TemplatesFile,
    private readonly faq: FaqEntry[],
  ) {}

  /** Embeds the FAQ questions of template intents once (needs the embedder). */
  async prepare(embed: (texts: string[]) => Promise<Float32Array[]>): Promise<void> {
    const entries = this.faq.filter((f) => this.templates.intents[f.intent]);
    const vectors = entries.length ? await embed(entries.map((e) => e.question)) : [];
    this.faqVectors = entries.map((entry, i) => ({ entry, vector: vectors[i] }));
  }

  /** Whether answering `intent` looks at the message's vector (it has FAQ entries to match; without their vectors, prepare() not yet run, it answers its plain template). */
  matchesFaq(intent: string): boolean {
    return !!this.templates.intents[intent] && this.faq.some((f) => f.intent === intent);
  }

  has(intent: string): boolean {
    return intent in this.templates.intents;
  }

  get handoff(): string {
    return this.templates.handoff;
  }

  answer(intent: string, message: string, vector?: Float32Array): TemplateAnswer {
    const tpl = this.templates.intents[intent];
    if (!tpl) throw new Error(`no template for intent ${intent}`);
    if (vector) {
      let best: FaqEntry | null = null;
      let similarity = -Infinity;
      for (const f of this.faqVectors) {
        if (f.entry.intent !== intent) continue;
        const s = cosine(vector, f.vector);
        if (best && !(s > similarity)) continue;
        best = f.entry;
        similarity = s;
      }
      if (best && similarity >= this.templates.faqMinSimilarity) return { text: best.answer, source: best.id, similarity };
    }
    const lower = ` ${message.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ')} `;
    const variant = tpl.variants.find((v) => v.when.length === 0 || v.when.some((w) => lower.includes(` ${w} `))) ?? tpl.variants[tpl.variants.length - 1];
    return { text: variant.text, source: tpl.source };
  }
}
