import type { QuantTable } from './types.ts';

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

/** The float values an int8 table stands for. */
export function dequantize(t: QuantTable): Float32Array {
  const out = new Float32Array(t.rows * t.dim);
  for (let r = 0; r < t.rows; r++) for (let d = 0; d < t.dim; d++) out[r * t.dim + d] = t.q[r * t.dim + d] * t.scale[r];
  return out;
}
