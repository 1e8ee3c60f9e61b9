/**
 * Fallback stage: when the LLM gave no usable answer, the last clean answer remembered for the
 * intent (path "cache", marked as such), else the domain's handoff to a person (path "fallback":
 * domain.json `assistant.handoff`, else templates.json `handoff`). Also where a clean answer is
 * remembered for that use.
 */
import type { FallbackAnswers } from '../fallback-answers.ts';

export const FALLBACK_NOTE = '(Our assistant is busy, so here is an earlier answer to a similar question.) ';

/**
 * Degradations that leave an answer fit to remember and cache; the extractive generator itself is
 * not one. A reranker that timed out (a busy region) leaves the retrieved passages in retrieval
 * order, as with no reranker at all: the answer still has to pass the guardrails and the grounding
 * check below, so under load good answers are still cached instead of sending every repeat of a
 * popular question to the LLM again.
 */
const HARMLESS = new Set(['llm_not_configured', 'reranker_unavailable', 'reranker_timeout']);

export const isClean = (fallbacks: string[]) => fallbacks.every((f) => HARMLESS.has(f));

/** An answer long enough to be one (not a stray word the guard left). */
export const isUsable = (text: string) => text.replace(/\W/g, '').length >= 12;

export async function fallbackStage(answers: FallbackAnswers, intent: string | undefined, question: string, handoff: string): Promise<{ path: 'cache' | 'fallback'; text: string }> {
  const remembered = await answers.find(intent, question);
  return remembered ? { path: 'cache', text: FALLBACK_NOTE + remembered.text } : { path: 'fallback', text: handoff };
}
