/**
 * Supervised refinement of the static embedder's rows on scored sentence pairs (STS-B train):
 * still one row per token, so the ONNX graph and every runtime stay as they are.
 */
import type { Glove } from './glove.ts';
import { lbfgs } from './lbfgs.ts';
import { pieceRank, type VocabEntry } from './vocab.ts';

/** Scored sentence pairs (token ids) that the supervised refinement fits; STS-B train only. */
export interface StsSupervision {
  a: number[][];
  b: number[][];
  score: number[];
}

export interface RefineOptions {
  /** Ridge on M - I (times 1e-3). */
  lamM: number;
  /** Ridge on the per-token log-scale residuals and on the feature weights (times 1e-4). */
  lamS: number;
  iterations: number;
}

export const DEFAULT_REFINE: RefineOptions = { lamM: 3, lamS: 4, iterations: 400 };

/**
 * Per-token features of the learned log-scale: the unit GloVe direction, a cubic in log-rank, and
 * the piece flag (so unseen tokens get a scale too). Zero for specials.
 */
export function tokenFeatures(glove: Glove, entries: VocabEntry[], base: Float32Array): { f: Float64Array; nf: number } {
  const dim = glove.dim;
  const nf = dim + 5;
  const f = new Float64Array(entries.length * nf);
  const logN = Math.log(glove.words.length);
  entries.forEach((e, i) => {
    const rank = e.gloveRank ?? pieceRank(e);
    if (rank === undefined) return;
    const piece = e.gloveRank === undefined ? 1 : 0;
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += base[i * dim + d] ** 2;
    norm = Math.sqrt(norm) + 1e-9;
    const o = i * nf;
    for (let d = 0; d < dim; d++) f[o + d] = base[i * dim + d] / norm;
    const lr = Math.log1p(rank) / logN;
    f.set([lr, lr * lr, lr * lr * lr, piece, piece * lr], o + dim);
  });
  return { f, nf };
}

/**
 * Supervised, still per-token-linear refinement: rows'(v) = exp(delta_v + f(v).theta) * rows(v) @ M,
 * with M (dim x dim) near I, fitted by L-BFGS to maximise Pearson(cos(sum_a, sum_b), score) over
 * the supervision pairs, ridge-regularised towards M = I and scale 1.
 */
export function refineSupervised(
  rows: Float32Array,
  dim: number,
  feats: { f: Float64Array; nf: number },
  sup: StsSupervision,
  opts: RefineOptions = DEFAULT_REFINE,
): Float32Array {
  const n = rows.length / dim;
  const { f, nf } = feats;
  const P = sup.score.length;
  const nM = dim * dim;
  const nParams = nM + n + nf;
  const y = Float64Array.from(sup.score);
  const ym = y.reduce((s, v) => s + v, 0) / P;
  let sy = 0;
  for (let i = 0; i < P; i++) sy += (y[i] - ym) ** 2;
  sy = Math.sqrt(sy / P);
  if (P < 2 || sup.a.length !== P || sup.b.length !== P || !(sy > 0)) throw new Error('refineSupervised: needs two or more pairs (a, b, score aligned) with varying scores');
  const lamM = opts.lamM * 1e-3;
  const lamS = opts.lamS * 1e-4;

  const logScales = (p: Float64Array) => {
    const logs = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      let s = p[nM + t];
      for (let k = 0; k < nf; k++) s += f[t * nf + k] * p[nM + n + k];
      logs[t] = s;
    }
    return logs;
  };
  const sums = (ids: number[][], scale: Float64Array) =>
    ids.map((seq) => {
      const x = new Float64Array(dim);
      for (const t of seq) {
        const s = scale[t];
        for (let d = 0; d < dim; d++) x[d] += s * rows[t * dim + d];
      }
      return x;
    });
  const times = (x: Float64Array, p: Float64Array) => {
    // x @ (I + dM)
    const u = Float64Array.from(x);
    for (let i = 0; i < dim; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      for (let j = 0; j < dim; j++) u[j] += xi * p[i * dim + j];
    }
    return u;
  };

  const evaluate = (p: Float64Array): { value: number; grad: Float64Array } => {
    const logs = logScales(p);
    const scale = logs.map(Math.exp);
    const XA = sums(sup.a, scale);
    const XB = sums(sup.b, scale);
    const U = XA.map((x) => times(x, p));
    const V = XB.map((x) => times(x, p));
    const c = new Float64Array(P);
    const nu = new Float64Array(P);
    const nv = new Float64Array(P);
    for (let i = 0; i < P; i++) {
      let uv = 0, uu = 0, vv = 0;
      for (let d = 0; d < dim; d++) {
        uv += U[i][d] * V[i][d];
        uu += U[i][d] ** 2;
        vv += V[i][d] ** 2;
      }
      nu[i] = Math.sqrt(uu) + 1e-12;
      nv[i] = Math.sqrt(vv) + 1e-12;
      c[i] = uv / (nu[i] * nv[i]);
    }
    const cm = c.reduce((s, v) => s + v, 0) / P;
    let sc = 0, cov = 0;
    for (let i = 0; i < P; i++) {
      sc += (c[i] - cm) ** 2;
      cov += (c[i] - cm) * (y[i] - ym);
    }
    sc = Math.sqrt(sc / P);
    const r = cov / P / (sc * sy);
    const grad = new Float64Array(nParams);
    let value = -r;
    for (let k = 0; k < nM; k++) {
      value += lamM * p[k] ** 2;
      grad[k] = 2 * lamM * p[k];
    }
    for (let k = nM; k < nParams; k++) {
      value += lamS * p[k] ** 2;
      grad[k] = 2 * lamS * p[k];
    }
    const dlogs = new Float64Array(n);
    const du = new Float64Array(dim);
    const dx = new Float64Array(dim);
    const back = (X: Float64Array, W: Float64Array, other: Float64Array, nw: number, no: number, gc: number, ci: number, seq: number[]) => {
      // dc/dW = other / (|W||other|) - c W / |W|^2, times the loss gradient gc
      for (let d = 0; d < dim; d++) du[d] = gc * (other[d] / (nw * no) - (ci * W[d]) / (nw * nw));
      for (let i = 0; i < dim; i++) {
        const xi = X[i];
        let s = 0;
        for (let j = 0; j < dim; j++) {
          grad[i * dim + j] += xi * du[j];
          s += p[i * dim + j] * du[j];
        }
        dx[i] = du[i] + s;
      }
      for (const t of seq) {
        let s = 0;
        for (let d = 0; d < dim; d++) s += dx[d] * rows[t * dim + d];
        dlogs[t] += s * scale[t];
      }
    };
    for (let i = 0; i < P; i++) {
      const gc = -((y[i] - ym) / (sc * sy) - (r * (c[i] - cm)) / (sc * sc)) / P;
      back(XA[i], U[i], V[i], nu[i], nv[i], gc, c[i], sup.a[i]);
      back(XB[i], V[i], U[i], nv[i], nu[i], gc, c[i], sup.b[i]);
    }
    for (let t = 0; t < n; t++) {
      if (dlogs[t] === 0) continue;
      grad[nM + t] += dlogs[t];
      for (let k = 0; k < nf; k++) grad[nM + n + k] += f[t * nf + k] * dlogs[t];
    }
    return { value, grad };
  };

  const p = lbfgs(evaluate, new Float64Array(nParams), opts.iterations);
  const scale = logScales(p).map(Math.exp);
  const out = new Float32Array(rows.length);
  const x = new Float64Array(dim);
  for (let t = 0; t < n; t++) {
    for (let d = 0; d < dim; d++) x[d] = rows[t * dim + d] * scale[t];
    out.set(times(x, p), t * dim);
  }
  return out;
}
