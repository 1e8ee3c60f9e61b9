/**
 * ONNX graph of the static embedder (see EmbedderWeights in ../types.ts for the math).
 *
 *   s   = Gather(scale[V,1], input_ids)                 [B,T,1]
 *   q   = the rows of input_ids, as float codes         [B,T,D]   (only the rows in use)
 *         int8 table: Cast(Gather(q[V,D] int8, input_ids));
 *         mixed table (4-bit rows, table-rows.ts): slot, nibble bytes, lookup table
 *   last_hidden_state = q * s                           [B,T,D]
 *   sum = ReduceSum(last_hidden_state * mask, axis 1)   [B,D]
 *   sentence_embedding = sum / max(||sum||_2, 1e-12)    [B,D]
 */
import { isMixedTable, type EmbedderWeights } from '../types.ts';
import { DType, GraphBuilder, modelBytes } from './proto.ts';
import { checkMixed, mixedRows } from './table-rows.ts';

export const EMBEDDER_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
export const NORMALIZE_EPS = 1e-12;

export function buildEmbedderOnnx(w: EmbedderWeights): Uint8Array {
  const t = w.table;
  const { rows, dim, scale } = t;
  if (isMixedTable(t)) checkMixed(t, 'embedder table');
  else if (t.q.length !== rows * dim || scale.length !== rows) throw new Error('embedder table: inconsistent sizes');
  const g = new GraphBuilder('switchyard_embedder');

  const ids = g.input('input_ids', DType.int64, ['batch', 'sequence']);
  const mask = g.input('attention_mask', DType.int64, ['batch', 'sequence']);
  g.input('token_type_ids', DType.int64, ['batch', 'sequence']);

  // The int8 graph keeps its original tensor names and initializer order.
  const tq = isMixedTable(t) ? '' : g.int8('embeddings.q', [rows, dim], t.q);
  const ts = g.float('embeddings.scale', [rows, 1], scale);
  const axis1 = g.int64('axes_1', [1], [1]);
  const axisLast = g.int64('axes_last', [1], [-1]);
  const axis2 = g.int64('axes_2', [1], [2]);
  const eps = g.float('eps', [], [NORMALIZE_EPS]);

  const rowScale = g.op('Gather', [ts, ids], { axis: 0 }, 'row_scale');
  const rowF = isMixedTable(t)
    ? mixedRows(g, 'embeddings', t, ids, axis2).codes
    : g.op('Cast', [g.op('Gather', [tq, ids], { axis: 0 }, 'row_q')], { to: DType.float }, 'row_f');
  const hidden = g.op('Mul', [rowF, rowScale], {}, 'last_hidden_state');

  const maskF = g.op('Cast', [mask], { to: DType.float }, 'mask_f');
  const mask3 = g.op('Unsqueeze', [maskF, axis2], {}, 'mask_3d');
  const masked = g.op('Mul', [hidden, mask3], {}, 'masked_hidden');
  const sum = g.op('ReduceSum', [masked, axis1], { keepdims: 0 }, 'sum');
  const sq = g.op('Mul', [sum, sum], {}, 'sum_sq');
  const ss = g.op('ReduceSum', [sq, axisLast], { keepdims: 1 }, 'sum_sq_total');
  const norm = g.op('Sqrt', [ss], {}, 'norm');
  const normC = g.op('Max', [norm, eps], {}, 'norm_clamped');
  g.op('Div', [sum, normC], {}, 'sentence_embedding');

  g.output('last_hidden_state', DType.float, ['batch', 'sequence', dim]);
  g.output('sentence_embedding', DType.float, ['batch', dim]);
  const kind = isMixedTable(t) ? '4-bit rows' : 'int8 rows';
  return modelBytes(g, { docString: `Switchyard static sentence embedder (${kind}, per-row scale).` });
}
