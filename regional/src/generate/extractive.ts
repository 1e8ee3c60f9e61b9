/**
 * The generator used when no LLM is configured: it answers from the top reranked passages by
 * quoting the sentences that best match the question, clearly labelled as such, so the service
 * works offline and still says something grounded and useful.
 */
import type { LlmBackend, LlmChunk, LlmRequest } from '../llm/types.ts';
import { splitSentences } from './guardrails.ts';

export const EXTRACTIVE_LABEL = 'From our store information (automatic summary, no AI model was used): ';

const STOP = new Set(
  'a an the and or but if of to in on at for with by from is are was were be been do does did can could would should will i you we my your our it its this that these those what which who how when where why me us there their about as any some have has had not no yes please tell know get'.split(' '),
);

function terms(s: string): string[] {
  return s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}$.]+/gu, ' ')
    .split(' ')
    .map((w) => w.replace(/^\.+|\.+$/g, ''))
    .filter((w) => w && !STOP.has(w));
}

/** About 4 characters per token, as LLM tokenizers average on English text. */
const estimateTokens = (s: string) => Math.ceil(s.length / 4);

/**
 * The best sentences that fit the request's output limit (the per-intent maxTokens), in score
 * order; the first is always kept, cut at a word boundary when it alone is too long.
 */
function withinTokens<T extends { text: string }>(sentences: T[], maxTokens: number): T[] {
  if (!(maxTokens > 0) || sentences.length === 0) return sentences;
  const out: T[] = [];
  let used = 0;
  for (const s of sentences) {
    const n = estimateTokens(s.text) + 1;
    if (used + n > maxTokens) {
      if (out.length === 0) {
        const cut = s.text.slice(0, maxTokens * 4).replace(/\s+\S*$/, '');
        out.push({ ...s, text: `${cut}…` });
      }
      break;
    }
    out.push(s);
    used += n;
  }
  return out;
}

export class ExtractiveGenerator implements LlmBackend {
  readonly name = 'extractive';

  constructor(private readonly maxSentences = 3) {}

  async *generate(req: LlmRequest): AsyncGenerator<LlmChunk> {
    const question = req.resolved?.text ?? req.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
    const q = new Set(terms(question));
    const scored: { text: string; core: string; score: number; order: number }[] = [];
    (req.context ?? []).forEach((p, rank) => {
      const lines = splitSentences(p.text.replace(/^#+\s.*$/gm, ' ').replace(/\|/g, ' '));
      lines.forEach((s, i) => {
        const t = terms(s);
        if (t.length < 3) return;
        const overlap = t.filter((w) => q.has(w)).length;
        // Earlier passages (better reranked) and denser matches first.
        const score = overlap / Math.sqrt(t.length) + 0.3 / (rank + 1);
        let text = s.trim().replace(/^[-*]\s*/, '');
        if (text.endsWith('?')) return; // a question (an FAQ heading) is not an answer
        // A catalog line such as "Price: $9.99." means nothing without its title.
        if (p.id.startsWith('KB-SKU-') && p.title && i > 0 && !text.toLowerCase().includes(p.title.toLowerCase().slice(0, 12))) text = `${p.title}: ${text}`;
        // ...and a bare title says nothing either: it comes with its price and availability.
        if (p.id.startsWith('KB-SKU-') && i === 0) {
          const offer = /^Price: .*$/m.exec(p.text)?.[0];
          if (offer) text = `${text.replace(/[.]$/, '')}: ${offer}`;
        }
        if (overlap > 0) scored.push({ text, core: s.trim(), score, order: rank * 1000 + i });
      });
    });
    scored.sort((a, b) => b.score - a.score);
    // A sentence already said inside a better one (a price line inside its title's offer) goes.
    for (let i = scored.length - 1; i >= 0; i--) if (scored.some((o, j) => j < i && o.text.includes(scored[i].core))) scored.splice(i, 1);
    const picked = withinTokens(scored.slice(0, this.maxSentences), req.maxTokens).sort((a, b) => a.order - b.order);
    const body = picked.length
      ? picked.map((s) => (/[.!?…]$/.test(s.text) ? s.text : `${s.text}.`)).join(' ')
      : "I couldn't find that in our store information. A person from our team can help at support@kitsunebooks.example.";
    const text = EXTRACTIVE_LABEL + body.replace(/\*\*/g, '');
    yield { type: 'meta', model: 'extractive' };
    for (const piece of text.match(/\S+\s*/g) ?? []) yield { type: 'delta', text: piece };
    yield { type: 'usage', inputTokens: 0, outputTokens: 0 };
  }
}
