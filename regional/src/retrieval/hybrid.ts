/**
 * Hybrid retrieval: full-text and vector search run in parallel and are fused with reciprocal
 * rank fusion (k = 60). The query embedding has its own timeout; when the embedder fails or is
 * too slow the search degrades to text-only and says so in `fallbacks` ("embedder_timeout",
 * "embedder_error"), as it does when either search itself fails ("vector_search_error",
 * "text_search_error"; both failing throws). A query with no word the embedder knows (the zero
 * vector) is searched by text alone ("query_out_of_vocabulary").
 */
import type { ChunkHit, Store } from '../store/types.ts';
import type { Embedder } from './embedder.ts';
import { embedWithin } from './embed-within.ts';
import { RetrievalError } from './errors.ts';
import { reciprocalRankFusion, RRF_K } from './rrf.ts';
import { hasDirection } from './ingest.ts';

export interface HybridOptions {
  /** Hits returned (default 30). */
  k?: number;
  /** Hits fetched from each of the two searches before fusion (default max(k, 50)). */
  candidates?: number;
  /** RRF constant (default 60). */
  rrfK?: number;
  /** RRF weight of each list (default 1 and 1). */
  weights?: { text: number; vector: number };
  /** Budget for embedding the query (default 1000 ms). */
  embedTimeoutMs?: number;
  /** At most this many hits per document (default: no limit). */
  maxPerDocument?: number;
  signal?: AbortSignal;
}

export type RetrievalFallback = 'embedder_timeout' | 'embedder_error' | 'vector_search_error' | 'text_search_error' | 'query_out_of_vocabulary';

export interface HybridHit extends Omit<ChunkHit, 'score'> {
  /** RRF score */
  score: number;
  /** 1-based rank in the text / vector result lists, null when absent from that list */
  textRank: number | null;
  vectorRank: number | null;
  textScore: number | null;
  vectorScore: number | null;
}

export interface HybridResult {
  hits: HybridHit[];
  fallbacks: RetrievalFallback[];
  timingsMs: { text: number; embed: number; vector: number; total: number };
}

export const DEFAULT_EMBED_TIMEOUT_MS = 1000;

/** Embeds one query within a time budget; rejects with RetrievalError EMBEDDER_TIMEOUT / EMBEDDER_ERROR. */
export async function embedQuery(embedder: Embedder, query: string, timeoutMs: number, signal?: AbortSignal): Promise<Float32Array> {
  const message = `embedder ${embedder.name} took longer than ${timeoutMs} ms`;
  return embedWithin(
    embedder,
    [query],
    timeoutMs,
    message,
    (vecs) => {
      const v = vecs?.[0];
      if (!(v instanceof Float32Array) || v.length !== embedder.dimensions) {
        throw new RetrievalError('EMBEDDER_ERROR', `embedder ${embedder.name} returned no ${embedder.dimensions}-d vector`);
      }
      return v;
    },
    signal,
  );
}

export async function hybridSearch(store: Store, embedder: Embedder, query: string, opts: HybridOptions = {}): Promise<HybridResult> {
  if (typeof query !== 'string') throw new RetrievalError('INVALID_INPUT', 'query must be a string');
  const k = opts.k ?? 30;
  if (!Number.isInteger(k) || k < 1 || k > 1000) throw new RetrievalError('INVALID_INPUT', `k must be an integer from 1 to 1000, got ${k}`);
  const candidates = Math.min(1000, opts.candidates ?? Math.max(k, 50));
  const t0 = performance.now();
  const timings = { text: 0, embed: 0, vector: 0, total: 0 };
  const fallbacks: RetrievalFallback[] = [];
  opts.signal?.throwIfAborted();

  const textP = (async () => {
    const s = performance.now();
    try {
      return await store.searchText(query, candidates);
    } finally {
      timings.text = performance.now() - s;
    }
  })();
  const vectorP = (async () => {
    const s = performance.now();
    let vec: Float32Array;
    try {
      vec = await embedQuery(embedder, query, opts.embedTimeoutMs ?? DEFAULT_EMBED_TIMEOUT_MS, opts.signal);
    } finally {
      timings.embed = performance.now() - s;
    }
    // No word of the query is in the embedder's vocabulary: text search alone (no error, a marked fallback).
    if (!hasDirection(vec)) {
      fallbacks.push('query_out_of_vocabulary');
      return [];
    }
    const s2 = performance.now();
    try {
      return await store.searchVector(vec, candidates, embedder.name);
    } catch (e) {
      throw Object.assign(new Error('vector search failed'), { vectorSearch: true, cause: e });
    } finally {
      timings.vector = performance.now() - s2;
    }
  })();
  const [text, vector] = await Promise.allSettled([textP, vectorP]);
  opts.signal?.throwIfAborted();

  let textHits: ChunkHit[] = [];
  let vectorHits: ChunkHit[] = [];
  if (vector.status === 'fulfilled') vectorHits = vector.value;
  else {
    const e = vector.reason;
    if (e instanceof RetrievalError && e.code === 'EMBEDDER_TIMEOUT') fallbacks.push('embedder_timeout');
    else if (e instanceof RetrievalError) fallbacks.push('embedder_error');
    else fallbacks.push('vector_search_error');
  }
  if (text.status === 'fulfilled') textHits = text.value;
  else if (vector.status === 'fulfilled') fallbacks.push('text_search_error');
  else throw text.reason;

  const fused = reciprocalRankFusion([textHits, vectorHits], (h) => h.chunkId, { k: opts.rrfK ?? RRF_K, weights: [opts.weights?.text ?? 1, opts.weights?.vector ?? 1] });
  const perDoc = new Map<string, number>();
  const hits: HybridHit[] = [];
  for (const f of fused) {
    if (hits.length >= k) break;
    if (opts.maxPerDocument) {
      const c = perDoc.get(f.item.documentId) ?? 0;
      if (c >= opts.maxPerDocument) continue;
      perDoc.set(f.item.documentId, c + 1);
    }
    const [textRank, vectorRank] = f.ranks;
    const { score: _raw, ...hit } = f.item;
    hits.push({
      ...hit,
      score: f.score,
      textRank,
      vectorRank,
      textScore: textRank === null ? null : textHits[textRank - 1].score,
      vectorScore: vectorRank === null ? null : vectorHits[vectorRank - 1].score,
    });
  }
  timings.total = performance.now() - t0;
  return { hits, fallbacks, timingsMs: timings };
}
