/** Cosine of each paraphrase pair under an embedder, and the cache's view of it at a threshold. */
import { cosine, type SentenceEmbedder } from '../models/sentence-embedder.ts';
import type { ParaphrasePair } from './benchmark-sets.ts';

export interface ScoredPair {
  /** Cosine similarity. */
  s: number;
  /** 1 = paraphrase. */
  y: number;
}

export async function scorePairs(emb: SentenceEmbedder, pairs: readonly ParaphrasePair[]): Promise<ScoredPair[]> {
  const out: ScoredPair[] = [];
  for (let i = 0; i < pairs.length; i += 64) {
    const b = pairs.slice(i, i + 64);
    const a = await emb.embed(b.map((p) => p.s1));
    const c = await emb.embed(b.map((p) => p.s2));
    b.forEach((p, j) => out.push({ s: cosine(a[j], c[j]), y: p.label }));
  }
  return out;
}

/** Pairs at or above `t` count as cache hits: their paraphrase precision, recall and count. */
export function hitsAt(data: readonly ScoredPair[], t: number): { precision: number; recall: number; n: number } {
  const sel = data.filter((x) => x.s >= t);
  const tp = sel.filter((x) => x.y === 1).length;
  return { precision: sel.length ? tp / sel.length : 1, recall: tp / data.filter((x) => x.y === 1).length, n: sel.length };
}
