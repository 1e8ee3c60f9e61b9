import type { MixedTable, QuantMatrix, QuantTable } from './types.ts';

/** Symmetric int8 quantization with one scale per row (scale = max |x| / 127). */
export function quantizeRows(values: Float32Array, rows: number, dim: number): QuantTable {
  const q = new Int8Array(rows * dim);
  const scale = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let d = 0; d < dim; d++) max = Math.max(max, Math.abs(values[r * dim + d]));
    const s = max / 127;
    scale[r] = s;
    if (s === 0) continue;
    for (let d = 0; d < dim; d++) q[r * dim + d] = Math.max(-127, Math.min(127, Math.round(values[r * dim + d] / s)));
  }
  return { rows, dim, q, scale };
}

/** Symmetric int8 quantization of a row-major [rows][cols] matrix with one scale per column. */
export function quantizeColumns(values: Float32Array, rows: number, cols: number): QuantMatrix {
  if (values.length !== rows * cols) throw new Error('quantizeColumns: shape mismatch');
  const scale = new Float32Array(cols);
  for (let i = 0; i < rows; i++) for (let o = 0; o < cols; o++) scale[o] = Math.max(scale[o], Math.abs(values[i * cols + o]));
  for (let o = 0; o < cols; o++) scale[o] /= 127;
  const q = new Int8Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let o = 0; o < cols; o++) if (scale[o] > 0) q[i * cols + o] = Math.max(-127, Math.min(127, Math.round(values[i * cols + o] / scale[o])));
  return { rows, cols, q, scale };
}

/** The float values of an int8 matrix with per-column scales. */
export function dequantizeColumns(m: QuantMatrix): Float32Array {
  return Float32Array.from(m.q, (v, k) => v * m.scale[k % m.cols]);
}

/** The float values an int8 table stands for. */
export function dequantize(t: QuantTable): Float32Array {
  const out = new Float32Array(t.rows * t.dim);
  for (let r = 0; r < t.rows; r++) for (let d = 0; d < t.dim; d++) out[r * t.dim + d] = t.q[r * t.dim + d] * t.scale[r];
  return out;
}

/**
 * int8 rows (scale = max |x| / 127) where `int8Row(r)` holds, symmetric 4-bit rows
 * (scale = max |x| / 7, values -7..7 stored as nibble + 8) for the rest; see MixedTable.
 * With `keepRow`, a row that is neither int8 nor kept is dropped: it reads as zeros (scale 0,
 * its slot on one shared zero 4-bit row), so the file carries no bytes for it.
 * Each of the two tables keeps at least one row (a zero row no slot points to, if need be).
 */
export function quantizeMixed(values: Float32Array, rows: number, dim: number, int8Row: (r: number) => boolean, keepRow: (r: number) => boolean = () => true): MixedTable {
  if (dim % 2 !== 0) throw new Error('quantizeMixed: dim must be even');
  const slot = new Int32Array(rows);
  const eight: number[] = [];
  const four: number[] = [];
  const dropped: number[] = [];
  for (let r = 0; r < rows; r++) (int8Row(r) ? eight : keepRow(r) ? four : dropped).push(r);
  const n8 = Math.max(eight.length, 1);
  // Dropped rows share one zero row after the kept ones.
  const n4 = Math.max(four.length + (dropped.length ? 1 : 0), 1);
  const q8 = new Int8Array(n8 * dim);
  const q4 = new Uint8Array((n4 * dim) / 2).fill(0x88);
  const scale = new Float32Array(rows);
  for (const r of dropped) slot[r] = n8 + four.length;
  const maxAbs = (r: number) => {
    let max = 0;
    for (let d = 0; d < dim; d++) max = Math.max(max, Math.abs(values[r * dim + d]));
    return max;
  };
  eight.forEach((r, k) => {
    slot[r] = k;
    const s = maxAbs(r) / 127;
    scale[r] = s;
    if (s === 0) return;
    for (let d = 0; d < dim; d++) q8[k * dim + d] = Math.max(-127, Math.min(127, Math.round(values[r * dim + d] / s)));
  });
  four.forEach((r, k) => {
    slot[r] = n8 + k;
    const s = maxAbs(r) / 7;
    scale[r] = s;
    if (s === 0) return;
    for (let d = 0; d < dim; d += 2) {
      const lo = Math.max(-7, Math.min(7, Math.round(values[r * dim + d] / s))) + 8;
      const hi = Math.max(-7, Math.min(7, Math.round(values[r * dim + d + 1] / s))) + 8;
      q4[(k * dim + d) / 2] = lo | (hi << 4);
    }
  });
  return { rows, dim, n8, n4, slot, q8, q4, scale };
}

/** The value of row r, column c of a MixedTable (before the row scale). */
export function mixedCode(t: MixedTable, r: number, c: number): number {
  const k = t.slot[r];
  if (k < t.n8) return t.q8[k * t.dim + c];
  const b = t.q4[((k - t.n8) * t.dim + c - (c % 2)) / 2];
  return (c % 2 === 0 ? b & 15 : b >> 4) - 8;
}

/** The float values a MixedTable stands for. */
export function dequantizeMixed(t: MixedTable): Float32Array {
  const out = new Float32Array(t.rows * t.dim);
  for (let r = 0; r < t.rows; r++) for (let d = 0; d < t.dim; d++) out[r * t.dim + d] = mixedCode(t, r, d) * t.scale[r];
  return out;
}
