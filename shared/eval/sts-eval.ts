/** STS-B: Spearman correlation between embedding cosine and the human similarity scores. */
import { cosine, type SentenceEmbedder } from '../models/sentence-embedder.ts';
import { truncateDimensions } from '../models/truncate-dimensions.ts';
import type { StsPair } from './benchmark-sets.ts';
import { spearman } from './metrics.ts';

/** `dimensions`: score the vectors shortened to that many dimensions (as the embeddings API's `dimensions` does). */
export async function stsSpearman(emb: SentenceEmbedder, pairs: readonly StsPair[], dimensions?: number): Promise<number> {
  const cut = (v: Float32Array) => (dimensions ? truncateDimensions(v, dimensions) : v);
  const sims: number[] = [];
  for (let i = 0; i < pairs.length; i += 64) {
    const chunk = pairs.slice(i, i + 64);
    const a = await emb.embed(chunk.map((p) => p.s1));
    const b = await emb.embed(chunk.map((p) => p.s2));
    chunk.forEach((_, j) => sims.push(cosine(cut(a[j]), cut(b[j]))));
  }
  return spearman(sims, pairs.map((p) => p.score));
}
