/**
 * Rerank stage: the cross-encoder orders the retrieved chunks and keeps the best 5. Timeout
 * `rerankMs`; on failure (or with no reranker) the retrieval order is kept (`reranker_timeout` /
 * `reranker_error` / `reranker_unavailable`); metric stage "rerank".
 */
import type { ChunkHit } from '../../store/types.ts';
import type { GenerateDeps, PipelineResult } from '../pipeline.ts';
import { failureOf, withTimeout, type Run } from './run.ts';

export const RERANK_TOP = 5;

/** The indices of the `k` highest scores, best first (ties: the earlier index first, as a stable sort leaves them). */
export function topIndices(scores: ArrayLike<number>, k: number): number[] {
  return Array.from(scores, (s, i) => ({ s, i }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((x) => x.i);
}

/** The passages kept, best first; when the reranker ordered them, what it was given and the best passage's logit. */
export interface Reranked {
  top: ChunkHit[];
  reranked?: PipelineResult['reranked'];
  bestLogit?: number;
}

export async function rerankStage(query: string, hits: ChunkHit[], deps: GenerateDeps, run: Run): Promise<Reranked> {
  if (!deps.rerank) {
    run.fallback('reranker_unavailable');
    return { top: hits.slice(0, RERANK_TOP) };
  }
  if (hits.length <= 1) return { top: hits.slice(0, RERANK_TOP) };
  const t = performance.now();
  const texts = hits.map((h) => `${h.title}\n${h.text}`);
  let out: Reranked = { top: hits.slice(0, RERANK_TOP) };
  try {
    const scores = await withTimeout(deps.rerank(query, texts), deps.timeouts.rerankMs, 'reranker');
    const ranking = topIndices(scores, RERANK_TOP);
    out = { top: ranking.map((i) => hits[i]), reranked: { query, passages: texts, ranking, ms: performance.now() - t }, bestLogit: scores[ranking[0]] };
  } catch (e) {
    run.fallback(failureOf('reranker', e));
  }
  run.stage('rerank', performance.now() - t);
  return out;
}
