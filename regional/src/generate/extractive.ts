/**
 * The generator used when no LLM is configured. With the store's answer data it answers from
 * structured facts (catalog fields, policy tables) or quotes the best retrieved passage, declines
 * what is out of scope and hands off what the passages do not support (structured/store-answers.ts);
 * without it, it quotes the best passage. One short answer, no repeated sentence, no markdown,
 * its sources named in a closing note that also says no AI model was used. It tells the pipeline
 * (meta `unsupported`) when the answer is a decline, a handoff or a "could not find": such an
 * answer is never cached.
 */
import type { LlmBackend, LlmChunk, LlmRequest } from '../llm/types.ts';
import { GENERATOR_NOTE } from './guardrails.ts';
import { SentencePicker } from './structured/passage-sentences.ts';
import type { StoreAnswer, StoreAnswers } from './structured/store-answers.ts';

/** The closing note's words; the grounding check leaves a sentence holding GENERATOR_NOTE out. */
export const EXTRACTIVE_NOTE = `automatic answer, ${GENERATOR_NOTE}`;
const NOT_FOUND = "I couldn't find that in the information I have.";

/** About 4 characters per token, as LLM tokenizers average on English text. */
const estimateTokens = (s: string) => Math.ceil(s.length / 4);

/** The sentences that fit the output limit (the per-intent maxTokens); the first is always kept, cut at a word when too long. */
function withinTokens(sentences: string[], maxTokens: number): string[] {
  if (!(maxTokens > 0)) return sentences;
  const out: string[] = [];
  let used = 0;
  for (const s of sentences) {
    const n = estimateTokens(s) + 1;
    if (used + n > maxTokens) {
      if (out.length === 0) out.push(`${s.slice(0, maxTokens * 4).replace(/\s+\S*$/, '')}…`);
      break;
    }
    out.push(s);
    used += n;
  }
  return out;
}

export class ExtractiveGenerator implements LlmBackend {
  readonly name = 'extractive';
  private readonly plain = new SentencePicker(() => 1);

  constructor(private readonly answers?: StoreAnswers) {}

  /** The answer to a request, before it is streamed (also used by tests and the benchmark). */
  answer(req: LlmRequest): StoreAnswer {
    const users = req.messages.filter((m) => m.role === 'user').map((m) => m.content);
    const question = req.resolved?.text ?? users.at(-1) ?? '';
    const passages = req.context ?? [];
    // The edge's resolution says what the message leans on: one it found standalone (nothing
    // carried, fully sure) is answered alone — a new topic must not borrow the last turn's title
    // or place. A follow-up it could not resolve, or a request without a resolution (a caller
    // other than the edge), falls back on the earlier user turns.
    const standalone = !!req.resolved && !req.resolved.carried?.length && (req.resolved.confidence ?? 1) >= 1;
    const history = standalone ? [] : users.slice(0, -1);
    const places = req.resolved?.entities?.filter((e) => e.kind === 'place').map((e) => e.value);
    // What the assistant said: the titles an answer listed are what "the second one" picks from.
    const previousAnswers = req.messages.filter((m) => m.role === 'assistant').map((m) => m.content);
    if (this.answers) return this.answers.answer({ question, history, intent: req.intent, confidence: req.intentConfidence, passages, places, previousAnswers, message: users.at(-1) });
    const q = this.plain.pick(question, passages);
    return q && q.coverage > 0 ? { kind: 'quote', sentences: q.sentences, sources: [q.passage.title ?? q.passage.id] } : { kind: 'not-found', sentences: [NOT_FOUND], sources: [] };
  }

  async *generate(req: LlmRequest): AsyncGenerator<LlmChunk> {
    const a = this.answer(req);
    const unique = [...new Set(a.sentences.map((s) => s.trim()).filter(Boolean))];
    const body = withinTokens(unique, req.maxTokens).join(' ');
    const note = a.kind === 'decline' ? '' : ` (${a.sources.length ? `From ${a.sources.join('; ')}; ` : ''}${a.kind === 'handoff' || a.kind === 'not-found' ? EXTRACTIVE_NOTE.replace(/^a/, 'A') : EXTRACTIVE_NOTE}.)`;
    const unsupported = a.kind === 'decline' || a.kind === 'handoff' || a.kind === 'not-found';
    yield { type: 'meta', model: 'extractive', ...(unsupported ? { unsupported } : {}), ...(a.lookedUp?.length ? { passages: a.lookedUp } : {}) };
    for (const piece of `${body}${note}`.match(/\S+\s*/g) ?? []) yield { type: 'delta', text: piece };
    yield { type: 'usage', inputTokens: 0, outputTokens: 0 };
  }
}
