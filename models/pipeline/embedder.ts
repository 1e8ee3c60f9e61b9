/**
 * The static sentence embedder: one vector per vocabulary entry, distilled from GloVe.
 *   row(v) = sif(v) * (g(v) - u u^T g(v))
 * g(v) is the GloVe vector (or, for a sub-word piece, the mean of the GloVe words containing it),
 * sif(v) = a / (a + p(v)) with p from Zipf's law over GloVe ranks, and u the common component
 * (first singular vector of SIF-weighted sentence sums over a reference corpus). Because the
 * removal is linear, baking it into every row makes a plain masked sum of rows equal to SIF
 * with common-component removal, which is what the ONNX graph computes. Last, the rows are
 * whitened (W = V diag(eig^-1/2), from the covariance of the corpus sentence sums), again a linear
 * map baked into the rows; on STS-B it is worth about four points of Spearman correlation.
 * Given scored pairs, `refineSupervised` (embedder-refine.ts) then fits a per-token scale and a
 * shared linear map on them, still baked into the rows.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { Glove } from './glove.ts';
import { zipfProbability } from './glove.ts';
import { quantizeMixed, quantizeRows } from './quantize.ts';
import { DEFAULT_REFINE, refineSupervised, tokenFeatures, type RefineOptions, type StsSupervision } from './embedder-refine.ts';
import type { EmbedderWeights } from './types.ts';
import { pieceRank, type VocabEntry } from './vocab.ts';

export interface EmbedderOptions {
  /** SIF smoothing constant a. */
  sifA: number;
  /** Extra factor on sub-word pieces, which are noisier than whole words. */
  pieceWeight: number;
  /**
   * Precision of the stored rows: 8 (int8, per-row scale) or 4 (4-bit, per-row scale, two per
   * byte: half the bytes; STS-B test 71.6 vs 71.5 for the int8 rows of the same fit, BENCHMARKS.md).
   */
  rowBits?: 8 | 4;
}

export const DEFAULT_EMBEDDER: EmbedderOptions = { sifA: 3e-4, pieceWeight: 0.5 };

/**
 * The supervised recipe (`npm run models:embedder -- --supervised`): SIF settings chosen on STS-B
 * dev for it, then `refineSupervised` on the STS-B train pairs (BENCHMARKS.md).
 */
export const SUPERVISED_EMBEDDER: EmbedderOptions = { sifA: 1e-3, pieceWeight: 1.0, rowBits: 4 };

/** Unweighted vectors of every vocabulary entry (zero for specials). */
export function baseVectors(glove: Glove, entries: VocabEntry[]): Float32Array {
  const dim = glove.dim;
  const out = new Float32Array(entries.length * dim);
  entries.forEach((e, i) => {
    const row = out.subarray(i * dim, (i + 1) * dim);
    if (e.gloveRank !== undefined) {
      row.set(glove.vectors.subarray(e.gloveRank * dim, (e.gloveRank + 1) * dim));
    } else if (e.sourceRanks && e.sourceRanks.length > 0) {
      for (const r of e.sourceRanks) for (let d = 0; d < dim; d++) row[d] += glove.vectors[r * dim + d];
      for (let d = 0; d < dim; d++) row[d] /= e.sourceRanks.length;
    }
  });
  return out;
}

export function sifWeights(glove: Glove, entries: VocabEntry[], opts: EmbedderOptions): Float32Array {
  const n = glove.words.length;
  return Float32Array.from(entries, (e) => {
    if (e.gloveRank !== undefined) return opts.sifA / (opts.sifA + zipfProbability(e.gloveRank, n));
    const median = pieceRank(e);
    if (median === undefined) return 0;
    return opts.pieceWeight * (opts.sifA / (opts.sifA + zipfProbability(median, n)));
  });
}

/** First right-singular vector of the rows of a matrix, by power iteration (deterministic start). */
export function firstComponent(rows: Float32Array[], dim: number, iterations = 50): Float32Array {
  let u = new Float32Array(dim).fill(1 / Math.sqrt(dim));
  for (let it = 0; it < iterations; it++) {
    const next = new Float32Array(dim);
    for (const x of rows) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += x[d] * u[d];
      for (let d = 0; d < dim; d++) next[d] += dot * x[d];
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += next[d] * next[d];
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dim; d++) next[d] /= norm;
    u = next;
  }
  return u;
}

/**
 * @param corpusIds token ids of the reference sentences used to find the common component.
 */
export function buildEmbedder(
  glove: Glove,
  entries: VocabEntry[],
  corpusIds: number[][],
  opts: EmbedderOptions = DEFAULT_EMBEDDER,
  /** Scored pairs to fit `refineSupervised` on; absent: the unsupervised rows. */
  supervision?: StsSupervision,
  refine: RefineOptions = DEFAULT_REFINE,
): { weights: EmbedderWeights; floatRows: Float32Array } {
  const dim = glove.dim;
  const base = baseVectors(glove, entries);
  const w = sifWeights(glove, entries, opts);
  const rows = new Float32Array(base.length);
  for (let i = 0; i < entries.length; i++) for (let d = 0; d < dim; d++) rows[i * dim + d] = base[i * dim + d] * w[i];
  const u = firstComponent(corpusSums(rows, corpusIds, dim), dim);
  for (let i = 0; i < entries.length; i++) {
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += rows[i * dim + d] * u[d];
    for (let d = 0; d < dim; d++) rows[i * dim + d] -= dot * u[d];
  }
  const white = whitening(corpusSums(rows, corpusIds, dim), dim);
  const out = new Float32Array(rows.length);
  for (let i = 0; i < entries.length; i++) {
    for (let j = 0; j < dim; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += rows[i * dim + d] * white[d * dim + j];
      out[i * dim + j] = s;
    }
  }
  const fin = supervision ? refineSupervised(out, dim, tokenFeatures(glove, entries, base), supervision, refine) : out;
  const table = opts.rowBits === 4 ? quantizeMixed(fin, entries.length, dim, () => false) : quantizeRows(fin, entries.length, dim);
  return { weights: { table }, floatRows: fin };
}

function corpusSums(rows: Float32Array, corpusIds: number[][], dim: number): Float32Array[] {
  return corpusIds.map((ids) => {
    const s = new Float32Array(dim);
    for (const id of ids) for (let d = 0; d < dim; d++) s[d] += rows[id * dim + d];
    return s;
  });
}

/** Whitening matrix [dim][dim] (row-major, x @ W) of the centred covariance of the given vectors. */
export function whitening(vectors: Float32Array[], dim: number): Float32Array {
  const mean = new Float64Array(dim);
  for (const v of vectors) for (let d = 0; d < dim; d++) mean[d] += v[d] / vectors.length;
  const cov = Matrix.zeros(dim, dim);
  for (const v of vectors) {
    for (let i = 0; i < dim; i++) {
      const a = v[i] - mean[i];
      for (let j = i; j < dim; j++) cov.set(i, j, cov.get(i, j) + (a * (v[j] - mean[j])) / vectors.length);
    }
  }
  for (let i = 0; i < dim; i++) for (let j = 0; j < i; j++) cov.set(i, j, cov.get(j, i));
  const evd = new EigenvalueDecomposition(cov, { assumeSymmetric: true });
  const vecs = evd.eigenvectorMatrix;
  const w = new Float32Array(dim * dim);
  evd.realEigenvalues.forEach((value, k) => {
    const inv = 1 / Math.sqrt(Math.max(value, 1e-9));
    for (let d = 0; d < dim; d++) w[d * dim + k] = vecs.get(d, k) * inv;
  });
  return w;
}
