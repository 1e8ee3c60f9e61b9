/**
 * Graph pieces that read rows of a quantized token table, shared by the classifier and the
 * embedder graphs: only the rows in use are dequantized, with standard ops (Gather, Cast, Less,
 * Where, Reshape), so onnxruntime-node, onnxruntime-web (WASM, WebGPU) and transformers.js run them.
 *
 * A MixedTable (int8 rows and 4-bit rows, see ../types.ts) is read by Gather of the id's slot
 * (int32), Less(slot, n8) picking the table, Where clamping both row indices; the int8 row is
 * Gather+Cast, the 4-bit row is Gather (uint8 bytes), Cast to int32 and Gather from a [256, 2]
 * float lookup table (byte -> [low - 8, high - 8]), then Reshape [B, T, D / 2, 2] -> [B, T, D].
 * Where(isInt8) selects. The per-row scale is applied by the caller.
 */
import type { MixedTable } from '../types.ts';
import { DType, type GraphBuilder } from './proto.ts';

/** Float codes (before the row scale) of int8 table rows idx: [B, T, dim]. */
export function int8Rows(g: GraphBuilder, prefix: string, q: string, idx: string): string {
  const rowQ = g.op('Gather', [q, idx], { axis: 0 }, `${prefix}_row_q`);
  return g.op('Cast', [rowQ], { to: DType.float }, `${prefix}_row_f`);
}

/**
 * Float codes of MixedTable rows for ids: [B, T, dim], and the parts a classifier head's own rows
 * reuse (is8f: [B, T, 1] bool, i8: the int8 row index, r4: the 4-bit rows). Initializers are named
 * `${prefix}.slot`, `.q8`, `.q4`, `.nibbles`, `.n8`, `.zero`, `.row_shape`; `axis2` is an int64 [1]
 * initializer holding 2.
 */
export function mixedRows(g: GraphBuilder, prefix: string, t: MixedTable, idx: string, axis2: string) {
  const slotT = g.int32(`${prefix}.slot`, [t.rows], t.slot);
  const q8 = g.int8(`${prefix}.q8`, [t.n8, t.dim], t.q8);
  const q4 = g.uint8(`${prefix}.q4`, [t.n4, t.dim / 2], t.q4);
  const lut = g.float(`${prefix}.nibbles`, [256, 2], Array.from({ length: 512 }, (_, i) => (i % 2 === 0 ? ((i >> 1) & 15) : (i >> 5)) - 8));
  const n8 = g.int32(`${prefix}.n8`, [], [t.n8]);
  const zeroI = g.int32(`${prefix}.zero`, [], [0]);
  const shape = g.int64(`${prefix}.row_shape`, [3], [0, 0, t.dim]);
  const slot = g.op('Gather', [slotT, idx], { axis: 0 }, `${prefix}_slot`);
  const is8 = g.op('Less', [slot, n8], {}, `${prefix}_is_int8`);
  const i8 = g.op('Where', [is8, slot, zeroI], {}, `${prefix}_idx8`);
  const i4 = g.op('Where', [is8, zeroI, g.op('Sub', [slot, n8], {}, `${prefix}_slot4`)], {}, `${prefix}_idx4`);
  const r8 = int8Rows(g, prefix, q8, i8);
  const bytes = g.op('Gather', [q4, i4], { axis: 0 }, `${prefix}_row_bytes`);
  const bytesI = g.op('Cast', [bytes], { to: DType.int32 }, `${prefix}_row_bytes_i`);
  const pairs = g.op('Gather', [lut, bytesI], { axis: 0 }, `${prefix}_row_pairs`);
  const r4 = g.op('Reshape', [pairs, shape], {}, `${prefix}_row_4bit`);
  const is8f = g.op('Unsqueeze', [is8, axis2], {}, `${prefix}_is_int8_3d`);
  return { codes: g.op('Where', [is8f, r8, r4], {}, `${prefix}_row_codes`), is8f, i8, r4 };
}

/** Checks a MixedTable's sizes before it is written into a graph. */
export function checkMixed(t: MixedTable, what: string): void {
  const ok =
    t.dim % 2 === 0 &&
    t.n8 >= 1 &&
    t.n4 >= 1 &&
    t.slot.length === t.rows &&
    t.scale.length === t.rows &&
    t.q8.length === t.n8 * t.dim &&
    t.q4.length === (t.n4 * t.dim) / 2 &&
    t.slot.every((k) => k >= 0 && k < t.n8 + t.n4);
  if (!ok) throw new Error(`${what}: inconsistent mixed-table sizes`);
}
