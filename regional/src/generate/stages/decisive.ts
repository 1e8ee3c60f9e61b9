/**
 * Decisive-retrieval stage: when the reranker is sure of the best passage (its calibrated
 * relevance clears `minRelevance`), that passage is one of the store's FAQ entries or policy
 * sections (not a catalog row: a title's facts are the catalog stage's), and the offline generator
 * answers the message from that very passage (a quote of it, or a row of its policy table: shipping
 * to a place), the answer is the store's own text, with no LLM
 * call: path "template", generator "extractive" (the same text `LLM_BACKEND=extractive` gives),
 * cacheable once it passes the grounding check. Refused, and so generated as before: no reranker
 * ran or none calibrated for the one serving (relevance unknown), an intent the pack sends to its
 * large tier (generation is the point there), an answer that is a decline, a handoff, a lookup
 * outside the retrieved passages, or an answer from another passage. Metric stage "decisive".
 */
import type { LlmRequest } from '../../llm/types.ts';
import type { ChunkHit } from '../../store/types.ts';
import type { ExtractiveGenerator } from '../extractive.ts';
import { answerGrounded } from '../guardrails.ts';
import type { GenerateDeps } from '../pipeline.ts';
import type { Run } from './run.ts';

export const DECISIVE_GENERATOR = 'extractive';

export interface DecisiveAnswers {
  /** At or above (calibrated reranker relevance of the best passage): retrieval is decisive. */
  minRelevance: number;
  /** The calibrated relevance of a logit of `reranker` (name@version); null when no calibration fits it. */
  relevance(logit: number, reranker: string | undefined): number | null;
  /** A catalog row's document id (answered by the catalog stage, never quoted here). */
  isCatalog(documentId: string): boolean;
  /** Intents whose answers need generation however decisive the passage (the pack's large tier). */
  excluded: ReadonlySet<string>;
  generator: Pick<ExtractiveGenerator, 'answer' | 'generate'>;
}

export async function decisiveStage(
  req: LlmRequest,
  top: readonly ChunkHit[],
  bestLogit: number | undefined,
  grounding: string,
  deps: GenerateDeps,
  run: Run,
): Promise<{ text: string; source: { id: string; title: string } } | null> {
  const d = deps.decisive;
  const best = top[0];
  if (!d || !best || bestLogit === undefined || req.prefill !== undefined || (req.intent && d.excluded.has(req.intent))) return null;
  const relevance = d.relevance(bestLogit, deps.rerankerVersion);
  if (relevance === null || relevance < d.minRelevance || d.isCatalog(best.documentId)) return null;
  const t = performance.now();
  try {
    const a = d.generator.answer(req);
    // The answer must come from that passage: a quote of it, or a row of its policy table (shipping to a place).
    const fromBest = a.kind === 'quote' ? !a.lookedUp?.length && a.sources[0] === (best.title ?? best.documentId) : a.kind === 'destination' && a.lookedUp?.[0]?.id === best.documentId;
    if (!fromBest) return null;
    let text = '';
    for await (const c of d.generator.generate(req)) if (c.type === 'delta') text += c.text;
    return answerGrounded(text, grounding, deps.titles, deps.idPatterns) ? { text, source: { id: best.documentId, title: best.title } } : null;
  } finally {
    run.stage('decisive', performance.now() - t);
  }
}
