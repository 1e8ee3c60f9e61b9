/**
 * Catalog stage: a message of an intent the pack routes to its catalog (route class `catalog`),
 * whose intent is trusted (the edge's confident decision to reuse the answer, `cacheable`, or the
 * region's own confident classification), naming exactly one catalog item, is answered from that
 * item's row: no retrieval, no LLM (path "template", generator "catalog"), and cacheable, so the
 * edge keeps it for the intent's TTL. Anything it refuses goes on to retrieval and generation.
 * Metric stage "catalog".
 */
import type { GenerateDeps } from '../pipeline.ts';
import type { CatalogReply } from '../structured/catalog-reply.ts';
import type { Run } from './run.ts';

export const CATALOG_GENERATOR = 'catalog';

export function catalogStage(query: string, p: { intent?: string; trusted: boolean; continuation: boolean }, deps: GenerateDeps, run: Run): CatalogReply | null {
  if (!deps.catalog || !p.trusted || p.continuation) return null;
  const t = performance.now();
  const reply = deps.catalog.answer(p.intent, query);
  run.stage('catalog', performance.now() - t);
  return reply;
}
