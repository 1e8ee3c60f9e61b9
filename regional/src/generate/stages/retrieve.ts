/**
 * Retrieve stage: hybrid search for the 30 best chunks. Timeout `retrieveMs`; on failure no
 * passages (`retrieval_timeout` / `retrieval_error`), and the search's own degradations (e.g.
 * `embedder_timeout`) are reported as it gives them; metric stage "retrieve".
 */
import type { ChunkHit } from '../../store/types.ts';
import type { GenerateDeps } from '../pipeline.ts';
import { failureOf, withTimeout, type Run } from './run.ts';

export const RETRIEVE_K = 30;

export interface Retrieval {
  hits: ChunkHit[];
  /** The search's own degradations, reported when the caller is ready (after classification). */
  fallbacks: string[];
  ms: number;
}

export function retrieveStage(query: string, deps: GenerateDeps, run: Run): Promise<Retrieval> {
  const t = performance.now();
  return withTimeout(deps.retrieve(query, RETRIEVE_K), deps.timeouts.retrieveMs, 'retrieval')
    .catch((e) => {
      run.fallback(failureOf('retrieval', e));
      return { hits: [] as ChunkHit[], fallbacks: [] as string[] };
    })
    .then((r) => ({ ...r, ms: performance.now() - t }));
}
