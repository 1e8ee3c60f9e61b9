/**
 * ONNX graph of the reranker (see ../reranker-features.ts for the math it computes).
 *
 * Inputs are the BERT pair encoding (`input_ids`, `attention_mask`, `token_type_ids`, [B,T]);
 * the output is `logits` [B,1], as BertForSequenceClassification with num_labels 1. Every op is a
 * plain CPU kernel that onnxruntime-web (WASM) has: Gather, Cast, Mul, Add, Sub, Div, Greater,
 * Equal, Min, Max, Relu, Slice, Unsqueeze, Transpose, MatMul, ReduceMax, ReduceSum, Sqrt, Log,
 * Concat, Gemm. The MaxSim matrix is [B, min(T, QUERY_MAX), T].
 */
import type { RerankerWeights } from '../reranker.ts';
import { FEATURE_EPS, FEATURES, QUERY_MAX } from '../reranker-features.ts';
import { DType, GraphBuilder, modelBytes } from './proto.ts';

const INT64_MAX = 9223372036854775807n;

export function buildRerankerOnnx(w: RerankerWeights): Uint8Array {
  const { rows, dim, q, scale, unitScale, lastSpecialId } = w.table;
  if (q.length !== rows * dim || scale.length !== rows || unitScale.length !== rows || w.weight.length !== rows) {
    throw new Error('reranker tables: inconsistent sizes');
  }
  if (w.coef.length !== FEATURES.length) throw new Error(`reranker: ${FEATURES.length} coefficients expected`);
  const { k1, b, avgdl } = w.bm25;
  const g = new GraphBuilder('switchyard_reranker');

  const ids = g.input('input_ids', DType.int64, ['batch', 'sequence']);
  const mask = g.input('attention_mask', DType.int64, ['batch', 'sequence']);
  const types = g.input('token_type_ids', DType.int64, ['batch', 'sequence']);

  const tq = g.int8('tokens.q', [rows, dim], q);
  const tScale = g.float('tokens.scale', [rows, 1], scale);
  const tUnit = g.float('tokens.unit_scale', [rows, 1], unitScale);
  const tWeight = g.float('tokens.weight', [rows], w.weight);
  const lastSpecial = g.int64('last_special_id', [], [lastSpecialId]);
  const ax1 = g.int64('axes_1', [1], [1]);
  const ax2 = g.int64('axes_2', [1], [2]);
  const ax12 = g.int64('axes_1_2', [2], [1, 2]);
  const zero = g.int64('start_0', [1], [0]);
  const one = g.int64('start_1', [1], [1]);
  const minusOne = g.int64('end_minus_1', [1], [-1]);
  const qmax = g.int64('end_query_max', [1], [QUERY_MAX]);
  const end = g.int64('end_max', [1], [INT64_MAX]);
  const zero2 = g.int64('start_0_0', [2], [0, 0]);
  const one2 = g.int64('start_1_1', [2], [1, 1]);
  const minusOne2 = g.int64('end_minus_1_1', [2], [-1, -1]);
  const end2 = g.int64('end_max_max', [2], [INT64_MAX, INT64_MAX]);
  const f = (name: string, v: number) => g.float(name, [], [v]);
  const oneF = f('one_f', 1);
  const twoF = f('two_f', 2);
  const eps = f('eps', FEATURE_EPS);
  const k1p1 = f('bm25_k1_plus_1', k1 + 1);
  const normBase = f('bm25_norm_base', k1 * (1 - b));
  const normSlope = f('bm25_norm_slope', (k1 * b) / avgdl);

  const sliceQ = (x: string, name: string) => g.op('Slice', [x, zero, qmax, ax1], {}, name);
  const sum = (x: string, axes: string, name: string, keepdims = 1) => g.op('ReduceSum', [x, axes], { keepdims }, name);

  // Masks: content tokens (not special), split by segment.
  const maskF = g.op('Cast', [mask], { to: DType.float }, 'mask_f');
  const typeF = g.op('Cast', [types], { to: DType.float }, 'type_f');
  const content = g.op('Cast', [g.op('Greater', [ids, lastSpecial], {}, 'is_content')], { to: DType.float }, 'content_f');
  const valid = g.op('Mul', [maskF, content], {}, 'valid');
  const dm = g.op('Mul', [valid, typeF], {}, 'passage_mask');
  const qmAll = g.op('Sub', [valid, dm], {}, 'query_mask_all');
  const qm = sliceQ(qmAll, 'query_mask');
  const idsQ = sliceQ(ids, 'query_ids');
  const dm3 = g.op('Unsqueeze', [dm, ax1], {}, 'passage_mask_3d');

  // Token vectors: int8 rows, unit-length (MaxSim) and the embedder's own scale (dense).
  const rowF = g.op('Cast', [g.op('Gather', [tq, ids], { axis: 0 }, 'row_q')], { to: DType.float }, 'row_f');
  const unit = g.op('Mul', [rowF, g.op('Gather', [tUnit, ids], { axis: 0 }, 'row_unit_scale')], {}, 'unit');
  const sif = g.op('Mul', [rowF, g.op('Gather', [tScale, ids], { axis: 0 }, 'row_scale')], {}, 'sif');

  // MaxSim: for each query token the best cosine over passage tokens (non-passage columns -> -2).
  const unitQ = sliceQ(unit, 'unit_query');
  const unitT = g.op('Transpose', [unit], { perm: [0, 2, 1] }, 'unit_t');
  const sim = g.op('MatMul', [unitQ, unitT], {}, 'sim');
  const simMasked = g.op(
    'Add',
    [g.op('Mul', [sim, dm3], {}, 'sim_passage'), g.op('Mul', [g.op('Sub', [dm3, oneF], {}, 'passage_off'), twoF], {}, 'sim_off')],
    {},
    'sim_masked',
  );
  const ms = g.op('Relu', [g.op('ReduceMax', [simMasked], { axes: [2], keepdims: 0 }, 'max_sim_raw')], {}, 'max_sim');

  // Exact matches: M[b,t,s] = (id_t == id_s) * dm_s.
  const eq = g.op('Equal', [g.op('Unsqueeze', [idsQ, ax2], {}, 'query_ids_3d'), g.op('Unsqueeze', [ids, ax1], {}, 'ids_row_3d')], {}, 'same_id');
  const match = g.op('Mul', [g.op('Cast', [eq], { to: DType.float }, 'same_id_f'), dm3], {}, 'match');
  const tf = sum(match, ax2, 'tf', 0);
  const hit = g.op('Min', [tf, oneF], {}, 'hit');
  const dl = sum(dm, ax1, 'passage_length');
  const norm = g.op('Add', [normBase, g.op('Mul', [dl, normSlope], {}, 'norm_dl')], {}, 'bm25_norm');
  const sat = g.op('Div', [g.op('Mul', [tf, k1p1], {}, 'tf_k1'), g.op('Add', [tf, norm], {}, 'tf_norm')], {}, 'saturation');

  // Weighted means over query tokens.
  const wq = g.op('Gather', [tWeight, idsQ], { axis: 0 }, 'query_weight_raw');
  const qw = g.op('Mul', [qm, wq], {}, 'query_weight');
  const W = g.op('Max', [sum(qw, ax1, 'query_weight_sum'), eps], {}, 'query_weight_total');
  const mean = (x: string, name: string) => g.op('Div', [sum(g.op('Mul', [qw, x], {}, `${name}_weighted`), ax1, `${name}_sum`), W], {}, name);
  const soft = mean(ms, 'f_soft');
  const exact = mean(hit, 'f_exact');
  const bm25 = mean(sat, 'f_bm25');

  // Bigrams: query tokens t, t+1 matching passage tokens s, s+1.
  const pairHit = g.op(
    'Mul',
    [g.op('Slice', [match, zero2, minusOne2, ax12], {}, 'match_a'), g.op('Slice', [match, one2, end2, ax12], {}, 'match_b')],
    {},
    'bigram_match',
  );
  const bi = g.op('ReduceMax', [pairHit], { axes: [2], keepdims: 0 }, 'bigram_hit');
  const pairMask = g.op('Mul', [g.op('Slice', [qm, zero, minusOne, ax1], {}, 'qm_a'), g.op('Slice', [qm, one, end, ax1], {}, 'qm_b')], {}, 'bigram_mask');
  const pairWeight = g.op('Add', [g.op('Slice', [wq, zero, minusOne, ax1], {}, 'w_a'), g.op('Slice', [wq, one, end, ax1], {}, 'w_b')], {}, 'bigram_weight_raw');
  const pw = g.op('Mul', [pairMask, pairWeight], {}, 'bigram_weight');
  const bigram = g.op(
    'Div',
    [sum(g.op('Mul', [pw, bi], {}, 'bigram_weighted'), ax1, 'bigram_sum'), g.op('Max', [sum(pw, ax1, 'bigram_weight_sum'), eps], {}, 'bigram_total')],
    {},
    'f_bigram',
  );

  // Dense: cosine of the summed embedder rows of query and passage.
  const qv = sum(g.op('Mul', [sliceQ(sif, 'sif_query'), g.op('Unsqueeze', [qm, ax2], {}, 'qm_3d')], {}, 'sif_query_masked'), ax1, 'query_vec', 0);
  const pv = sum(g.op('Mul', [sif, g.op('Unsqueeze', [dm, ax2], {}, 'dm_3d')], {}, 'sif_passage_masked'), ax1, 'passage_vec', 0);
  const dot = sum(g.op('Mul', [qv, pv], {}, 'qp'), ax1, 'qp_dot');
  const nq = g.op('Sqrt', [sum(g.op('Mul', [qv, qv], {}, 'qq'), ax1, 'qq_sum')], {}, 'q_norm');
  const np = g.op('Sqrt', [sum(g.op('Mul', [pv, pv], {}, 'pp'), ax1, 'pp_sum')], {}, 'p_norm');
  const dense = g.op('Div', [dot, g.op('Max', [g.op('Mul', [nq, np], {}, 'qp_norm'), eps], {}, 'qp_norm_clamped')], {}, 'f_dense');

  const length = g.op('Log', [g.op('Add', [dl, oneF], {}, 'dl_plus_1')], {}, 'f_length');

  const byName: Record<string, string> = { soft, exact, bm25, bigram, dense, length };
  const feats = g.op('Concat', FEATURES.map((n) => byName[n]), { axis: 1 }, 'features');
  const coef = g.float('head.weight', [FEATURES.length, 1], w.coef);
  const bias = g.float('head.bias', [1], [w.bias]);
  g.op('Gemm', [feats, coef, bias], {}, 'logits');
  g.output('logits', DType.float, ['batch', 1]);
  return modelBytes(g, {
    docString: 'Switchyard reranker: late interaction (MaxSim) + BM25-style features over int8 static token vectors.',
  });
}
