/** STS-B: Spearman correlation between embedding cosine and the human similarity scores. */
import { cosine, type SentenceEmbedder } from '../models/sentence-embedder.ts';
import type { StsPair } from './benchmark-sets.ts';
import { spearman } from './metrics.ts';

export async function stsSpearman(emb: SentenceEmbedder, pairs: readonly StsPair[]): Promise<number> {
  const sims: number[] = [];
  for (let i = 0; i < pairs.length; i += 64) {
    const chunk = pairs.slice(i, i + 64);
    const a = await emb.embed(chunk.map((p) => p.s1));
    const b = await emb.embed(chunk.map((p) => p.s2));
    chunk.forEach((_, j) => sims.push(cosine(a[j], b[j])));
  }
  return spearman(sims, pairs.map((p) => p.score));
}
