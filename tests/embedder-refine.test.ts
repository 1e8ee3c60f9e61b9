import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../models/pipeline/datasets.ts';
import { refineSupervised, type StsSupervision } from '../models/pipeline/embedder-refine.ts';
import { lbfgs } from '../models/pipeline/lbfgs.ts';
import { pearson } from '../shared/eval/metrics.ts';

/**
 * A toy vocabulary where the gold similarity only follows the "content" tokens (ids 10..29) and
 * the "filler" tokens (ids 1..9) carry large random vectors that drown them: the refinement has to
 * learn to scale filler down. Row 0 is a zero special row.
 */
const N = 30;
const D = 6;
function toy(seed: number) {
  const rand = mulberry32(seed);
  const rows = new Float32Array(N * D);
  for (let t = 1; t < N; t++) for (let d = 0; d < D; d++) rows[t * D + d] = (rand() * 2 - 1) * (t < 10 ? 4 : 1);
  const content = (x: number[]) => x.filter((t) => t >= 10);
  const vec = (ids: number[]) => {
    const v = new Float64Array(D);
    for (const t of content(ids)) for (let d = 0; d < D; d++) v[d] += rows[t * D + d];
    return v;
  };
  const cos = (a: Float64Array, b: Float64Array) => {
    let ab = 0, aa = 0, bb = 0;
    for (let d = 0; d < D; d++) (ab += a[d] * b[d]), (aa += a[d] * a[d]), (bb += b[d] * b[d]);
    return ab / Math.sqrt(aa * bb + 1e-12);
  };
  const sentence = () => Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? 1 + Math.floor(rand() * 9) : 10 + Math.floor(rand() * 20)));
  const sup: StsSupervision = { a: [], b: [], score: [] };
  for (let i = 0; i < 300; i++) {
    const a = sentence();
    const b = rand() < 0.5 ? a.map((t) => (t >= 10 && rand() < 0.3 ? 10 + Math.floor(rand() * 20) : t < 10 ? 1 + Math.floor(rand() * 9) : t)) : sentence();
    sup.a.push(a);
    sup.b.push(b);
    sup.score.push(5 * (cos(vec(a), vec(b)) + 1) / 2);
  }
  return { rows, sup };
}

function correlation(rows: Float32Array, sup: StsSupervision): number {
  const sum = (ids: number[]) => {
    const v = new Float64Array(D);
    for (const t of ids) for (let d = 0; d < D; d++) v[d] += rows[t * D + d];
    return v;
  };
  const cos = sup.a.map((a, i) => {
    const x = sum(a);
    const y = sum(sup.b[i]);
    let xy = 0, xx = 0, yy = 0;
    for (let d = 0; d < D; d++) (xy += x[d] * y[d]), (xx += x[d] * x[d]), (yy += y[d] * y[d]);
    return xy / Math.sqrt(xx * yy + 1e-12);
  });
  return pearson(cos, sup.score);
}

describe('supervised refinement of the embedder rows', () => {
  const { rows, sup } = toy(3);
  const feats = { f: new Float64Array(N), nf: 1 }; // one constant-zero feature: scales come from the per-token terms
  const refined = refineSupervised(rows, D, feats, sup, { lamM: 1, lamS: 1, iterations: 150 });

  it('raises the correlation of cosine with the scores on the pairs it is fitted on, by learning to mute the filler tokens', () => {
    const before = correlation(rows, sup);
    const after = correlation(refined, sup);
    expect(after).toBeGreaterThan(before + 0.1);
    const norm = (r: Float32Array, t: number) => Math.hypot(...r.subarray(t * D, (t + 1) * D));
    const ratio = (t: number) => norm(refined, t) / norm(rows, t);
    const filler = [1, 2, 3, 4, 5, 6, 7, 8, 9].map(ratio);
    const content = Array.from({ length: 20 }, (_, k) => ratio(10 + k));
    const mean = (x: number[]) => x.reduce((a, b) => a + b) / x.length;
    expect(mean(filler)).toBeLessThan(0.5 * mean(content));
  });

  it('keeps one row per token (zero rows stay zero) and is deterministic', () => {
    expect(refined.length).toBe(rows.length);
    expect(Array.from(refined.subarray(0, D))).toEqual(new Array(D).fill(0));
    expect(refined.every(Number.isFinite)).toBe(true);
    const again = refineSupervised(rows, D, feats, sup, { lamM: 1, lamS: 1, iterations: 150 });
    expect(Buffer.from(again.buffer).equals(Buffer.from(refined.buffer))).toBe(true);
    expect(() => refineSupervised(rows, D, feats, { a: [[1]], b: [[2]], score: [3] })).toThrow(/two or more pairs/);
    expect(() => refineSupervised(rows, D, feats, { ...sup, score: sup.score.map(() => 2) })).toThrow(/varying scores/);
  });

  it('L-BFGS finds the minimum of a badly scaled quadratic', () => {
    const c = [3, -1, 0.5, 10];
    const w = [1, 100, 0.01, 5];
    const p = lbfgs((x) => {
      let value = 0;
      const grad = new Float64Array(x.length);
      x.forEach((v, i) => {
        value += w[i] * (v - c[i]) ** 2;
        grad[i] = 2 * w[i] * (v - c[i]);
      });
      return { value, grad };
    }, new Float64Array(4), 200);
    p.forEach((v, i) => expect(v).toBeCloseTo(c[i], 4));
  });
});
