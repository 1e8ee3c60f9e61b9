/**
 * Exact cosine nearest neighbours by brute force over one contiguous Float32Array of unit rows:
 * the SQLite store's in-process vector index (measured: ~30 ms per query and ~0.2 s to build at
 * 100k × 100-d on one core of the 2-core dev machine).
 */
import { normalized } from './vector-codec.ts';

export class VectorMatrix {
  private constructor(
    readonly dims: number,
    readonly ids: Float64Array,
    private readonly data: Float32Array,
  ) {}

  static build(dims: number, rows: Iterable<{ id: number; vector: Float32Array }>): VectorMatrix {
    const ids: number[] = [];
    const parts: Float32Array[] = [];
    for (const r of rows) {
      if (r.vector.length !== dims) continue;
      let s = 0;
      for (let i = 0; i < dims; i++) s += r.vector[i] * r.vector[i];
      if (!(s > 0) || !Number.isFinite(s)) continue;
      ids.push(r.id);
      parts.push(normalized(r.vector));
    }
    const data = new Float32Array(ids.length * dims);
    parts.forEach((p, i) => data.set(p, i * dims));
    return new VectorMatrix(dims, Float64Array.from(ids), data);
  }

  get size(): number {
    return this.ids.length;
  }

  /** The k rows most similar to `query` (any non-zero length-dims vector), best first. */
  topK(query: Float32Array, k: number): { id: number; score: number }[] {
    const q = normalized(query);
    const D = this.dims;
    const n = this.ids.length;
    const m = Math.min(k, n);
    if (m <= 0) return [];
    // min-heap of the best m so far, by score (ties: lower row index wins, for stable output)
    const hs = new Float64Array(m);
    const hi = new Int32Array(m);
    let size = 0;
    const less = (a: number, b: number) => hs[a] < hs[b] || (hs[a] === hs[b] && hi[a] > hi[b]);
    const swap = (a: number, b: number) => {
      const s = hs[a];
      hs[a] = hs[b];
      hs[b] = s;
      const t = hi[a];
      hi[a] = hi[b];
      hi[b] = t;
    };
    const siftDown = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let s = i;
        if (l < size && less(l, s)) s = l;
        if (r < size && less(r, s)) s = r;
        if (s === i) return;
        swap(i, s);
        i = s;
      }
    };
    for (let row = 0; row < n; row++) {
      let dot = 0;
      const off = row * D;
      for (let j = 0; j < D; j++) dot += this.data[off + j] * q[j];
      if (size < m) {
        hs[size] = dot;
        hi[size] = row;
        let i = size++;
        while (i > 0) {
          const p = (i - 1) >> 1;
          if (!less(i, p)) break;
          swap(i, p);
          i = p;
        }
      } else if (dot > hs[0]) {
        hs[0] = dot;
        hi[0] = row;
        siftDown(0);
      }
    }
    const out: { id: number; score: number; row: number }[] = [];
    for (let i = 0; i < size; i++) out.push({ id: this.ids[hi[i]], score: hs[i], row: hi[i] });
    out.sort((a, b) => b.score - a.score || a.row - b.row);
    return out.map(({ id, score }) => ({ id, score }));
  }
}
