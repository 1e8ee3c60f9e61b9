/**
 * Plain-TypeScript reference forwards of the exported graphs (float64 arithmetic on the
 * dequantized int8 values). Used by tests and by the trainer to check export parity.
 * The math is the one documented in ../types.ts.
 */
import { dequantizeColumns, mixedCode } from '../quantize.ts';
import { isMixedTable, type ClassifierWeights, type EmbedderWeights, type MixedTable, type QuantTable } from '../types.ts';
import { NORMALIZE_EPS } from './embedder-graph.ts';

export interface EmbedderOutput {
  /** [B][T][D] */
  lastHiddenState: number[][][];
  /** [B][D], L2-normalized masked sum. */
  sentenceEmbedding: number[][];
}

function row(t: QuantTable | MixedTable, r: number): number[] {
  if (!Number.isInteger(r) || r < 0 || r >= t.rows) throw new Error(`row ${r} out of range [0, ${t.rows})`);
  const out = new Array<number>(t.dim);
  const s = t.scale[r];
  if (isMixedTable(t)) for (let c = 0; c < t.dim; c++) out[c] = mixedCode(t, r, c) * s;
  else for (let c = 0; c < t.dim; c++) out[c] = t.q[r * t.dim + c] * s;
  return out;
}

function checkShapes(ids: number[][], mask: number[][]): void {
  if (ids.length !== mask.length) throw new Error('ids / mask batch mismatch');
  ids.forEach((r, b) => {
    if (r.length !== mask[b].length) throw new Error(`ids / mask length mismatch in row ${b}`);
  });
}

/** (a * prime + b) mod n for non-negative integers, exact even when a * prime exceeds 2^53. */
export function bigramBucket(a: number, b: number, prime: number, n: number): number {
  const p = a * prime + b;
  if (Number.isSafeInteger(p)) return p % n;
  return Number((BigInt(a) * BigInt(prime) + BigInt(b)) % BigInt(n));
}

export function embedderForward(w: EmbedderWeights, ids: number[][], mask: number[][]): EmbedderOutput {
  checkShapes(ids, mask);
  const D = w.table.dim;
  const lastHiddenState: number[][][] = [];
  const sentenceEmbedding: number[][] = [];
  ids.forEach((seq, b) => {
    const rows = seq.map((id) => row(w.table, id));
    lastHiddenState.push(rows);
    const sum = new Array<number>(D).fill(0);
    rows.forEach((x, t) => {
      const m = mask[b][t];
      if (m !== 0) for (let d = 0; d < D; d++) sum[d] += m * x[d];
    });
    const norm = Math.sqrt(sum.reduce((a, v) => a + v * v, 0));
    const denom = Math.max(norm, NORMALIZE_EPS);
    sentenceEmbedding.push(sum.map((v) => v / denom));
  });
  return { lastHiddenState, sentenceEmbedding };
}

/** Features z = concat(word mean, bigram mean of one head) before its hidden layer. [B][D + Db] */
export function classifierFeatures(w: ClassifierWeights, ids: number[][], mask: number[][], head = 0): number[][] {
  checkShapes(ids, mask);
  const D = w.words.dim;
  const bigrams = w.heads[head].bigrams;
  const own = w.heads[head].words;
  const Db = bigrams.dim;
  const wordRow = (id: number): number[] => {
    if (!own || !isMixedTable(w.words) || id < 0 || id >= w.words.rows || w.words.slot[id] >= w.words.n8) return row(w.words, id);
    const k = w.words.slot[id];
    return Array.from(own.q8.subarray(k * D, (k + 1) * D), (q) => q * own.scale8[k]);
  };
  return ids.map((seq, b) => {
    const mk = mask[b];
    const m = new Array<number>(D).fill(0);
    let count = 0;
    seq.forEach((id, t) => {
      count += mk[t];
      if (mk[t] === 0) return;
      const x = wordRow(id);
      for (let d = 0; d < D; d++) m[d] += mk[t] * x[d];
    });
    const mDen = Math.max(count, 1);
    const g = new Array<number>(Db).fill(0);
    let kCount = 0;
    for (let t = 0; t + 1 < seq.length; t++) {
      const k = mk[t] * mk[t + 1];
      kCount += k;
      if (k === 0) continue;
      const x = row(bigrams, bigramBucket(seq[t], seq[t + 1], w.bigramPrime, bigrams.rows));
      for (let d = 0; d < Db; d++) g[d] += k * x[d];
    }
    const gDen = Math.max(kCount, 1);
    return [...m.map((v) => v / mDen), ...g.map((v) => v / gDen)];
  });
}

/** x @ W + b with W row-major [in][out]. */
function affine(x: number[], W: Float32Array, b: Float32Array, outDim: number): number[] {
  const y = Array.from(b);
  if (W.length !== x.length * outDim) throw new Error('affine: shape mismatch');
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    for (let o = 0; o < outDim; o++) y[o] += xi * W[i * outDim + o];
  }
  return y;
}

/** logits [B][C] */
export function classifierForward(w: ClassifierWeights, ids: number[][], mask: number[][]): number[][] {
  const C = w.labels.length;
  const perHead = w.heads.map((head, k) => {
    const hiddenW = head.hidden && dequantizeColumns(head.hidden.w);
    const outW = dequantizeColumns(head.out.w);
    return classifierFeatures(w, ids, mask, k).map((z) => {
      let h = z;
      if (head.hidden) h = affine(z, hiddenW!, head.hidden.b, head.hidden.size).map((v) => Math.max(v, 0));
      return affine(h, outW, head.out.b, C);
    });
  });
  if (perHead.length === 1) return perHead[0];
  return ids.map((_, b) => ensembleLogits(perHead.map((l) => l[b]), w.logitScale ?? 1));
}

/** log(mean_k softmax(l_k)) * scale: the ensemble's logits (ClassifierWeights). */
export function ensembleLogits(heads: ArrayLike<number>[], scale: number): number[] {
  const C = heads[0].length;
  const mean = new Array<number>(C).fill(0);
  for (const l of heads) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, l[c]);
    let sum = 0;
    const e = Array.from({ length: C }, (_, c) => Math.exp(l[c] - max));
    for (const v of e) sum += v;
    for (let c = 0; c < C; c++) mean[c] += e[c] / sum / heads.length;
  }
  return mean.map((p) => Math.log(p) * scale);
}
