/** STS-B: Spearman correlation between embedding cosine and the human similarity scores. */
import { cosine, type SentenceEmbedder } from '../../shared/models/sentence-embedder.ts';
import { loadStsb, type StsSplit } from '../pipeline/datasets.ts';
import { spearman } from '../../shared/eval/metrics.ts';
import { truncateDimensions } from '../../shared/models/truncate-dimensions.ts';

/** `dimensions`: score the vectors shortened to that many dimensions (as the `dimensions` API parameter does). */
export async function stsSpearman(emb: SentenceEmbedder, split: StsSplit, dimensions?: number): Promise<number> {
  const cut = (v: Float32Array) => (dimensions ? truncateDimensions(v, dimensions) : v);
  const pairs = loadStsb(split);
  const sims: number[] = [];
  for (let i = 0; i < pairs.length; i += 64) {
    const chunk = pairs.slice(i, i + 64);
    const a = await emb.embed(chunk.map((p) => p.s1));
    const b = await emb.embed(chunk.map((p) => p.s2));
    chunk.forEach((_, j) => sims.push(cosine(cut(a[j]), cut(b[j]))));
  }
  return spearman(sims, pairs.map((p) => p.score));
}
