/**
 * First-stage retrieval used around the reranker: an in-memory BM25 over words, a dense index of
 * static-embedder sentence vectors, and reciprocal rank fusion. The trainer mines hard negatives
 * with them; the evaluation uses them as the baselines.
 */
import { bertNormalize, bertPreTokenize } from '../tokenizer/wordpiece.ts';

export interface Hit {
  index: number;
  score: number;
}

/** Lowercased, accent-stripped words (BERT normalization), punctuation dropped. */
export function words(text: string): string[] {
  return bertPreTokenize(bertNormalize(text)).filter((w) => /[\p{L}\p{N}]/u.test(w));
}

/** Okapi BM25 (Lucene's idf: ln(1 + (N - df + 0.5) / (df + 0.5))). */
export class Bm25Index {
  private readonly postings = new Map<string, Array<[doc: number, tf: number]>>();
  private readonly lengths: number[];
  private readonly avgdl: number;

  constructor(
    texts: string[],
    private readonly k1 = 1.2,
    private readonly b = 0.75,
  ) {
    this.lengths = texts.map((text, doc) => {
      const tf = new Map<string, number>();
      const ws = words(text);
      for (const w of ws) tf.set(w, (tf.get(w) ?? 0) + 1);
      for (const [w, n] of tf) {
        const list = this.postings.get(w);
        if (list) list.push([doc, n]);
        else this.postings.set(w, [[doc, n]]);
      }
      return ws.length;
    });
    this.avgdl = this.lengths.reduce((a, b) => a + b, 0) / Math.max(1, texts.length);
  }

  get size(): number {
    return this.lengths.length;
  }

  idf(word: string): number {
    const df = this.postings.get(word)?.length ?? 0;
    return Math.log(1 + (this.size - df + 0.5) / (df + 0.5));
  }

  /** Top-k documents (ties broken by index), optionally only those `allow` accepts. */
  search(query: string, k: number, allow?: (index: number) => boolean): Hit[] {
    const scores = new Map<number, number>();
    for (const w of new Set(words(query))) {
      const list = this.postings.get(w);
      if (!list) continue;
      const idf = this.idf(w);
      for (const [doc, tf] of list) {
        const norm = tf + this.k1 * (1 - this.b + (this.b * this.lengths[doc]) / this.avgdl);
        scores.set(doc, (scores.get(doc) ?? 0) + (idf * tf * (this.k1 + 1)) / norm);
      }
    }
    const hits = [...scores.entries()]
      .filter(([doc]) => !allow || allow(doc))
      .map(([index, score]) => ({ index, score }));
    return topK(hits, k);
  }
}

export function topK(hits: Hit[], k: number): Hit[] {
  return hits.sort((a, b) => b.score - a.score || a.index - b.index).slice(0, k);
}

/** Brute-force cosine search over L2-normalized vectors. */
export class DenseIndex {
  constructor(readonly vectors: Float32Array[]) {}

  search(query: Float32Array, k: number, allow?: (index: number) => boolean): Hit[] {
    const hits: Hit[] = [];
    this.vectors.forEach((v, index) => {
      if (allow && !allow(index)) return;
      let s = 0;
      for (let d = 0; d < v.length; d++) s += v[d] * query[d];
      hits.push({ index, score: s });
    });
    return topK(hits, k);
  }
}

/** Reciprocal rank fusion: score(d) = sum over lists of 1 / (k + rank), rank from 1. */
export function reciprocalRankFusion(lists: Hit[][], k = 60, limit = Infinity): Hit[] {
  const scores = new Map<number, number>();
  for (const list of lists) list.forEach((h, r) => scores.set(h.index, (scores.get(h.index) ?? 0) + 1 / (k + r + 1)));
  return topK(
    [...scores.entries()].map(([index, score]) => ({ index, score })),
    limit,
  );
}

/**
 * The static embedder's sentence embedding computed in TypeScript from its token rows (the same
 * math as its ONNX graph: masked sum of rows, L2-normalized), for deterministic training runs.
 */
export function sentenceVector(ids: number[], rows: Float32Array, dim: number): Float32Array {
  const v = new Float32Array(dim);
  for (const id of ids) for (let d = 0; d < dim; d++) v[d] += rows[id * dim + d];
  let n = 0;
  for (let d = 0; d < dim; d++) n += v[d] * v[d];
  n = Math.max(Math.sqrt(n), 1e-12);
  for (let d = 0; d < dim; d++) v[d] /= n;
  return v;
}
