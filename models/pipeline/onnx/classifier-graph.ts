/**
 * ONNX graph of the fastText-style intent classifier (see ClassifierWeights in ../types.ts).
 *
 * Only the rows in use are dequantized: Gather int8 rows and their per-row scales, then Cast+Mul.
 * The mask weights (mask_t / max(count, 1)) are folded into the per-row scale before the Mul, so
 * each branch is Gather, Gather, Cast, Mul, Mul, ReduceSum.
 *
 * Bigram ids are hashed in-graph with int64 arithmetic: h_t = (ids_t * prime + ids_{t+1}) mod NB,
 * from Slice(ids, 0:-1) and Slice(ids, 1:). With a sequence of length 1 both slices are empty,
 * ReduceSum over the empty axis gives 0 and the count clamps to 1, so g = 0 (no NaN).
 *
 * A MixedTable word table (int8 rows for words seen in training, 4-bit rows for the rest) is read
 * with standard ops only (table-rows.ts); the per-id scale multiplies.
 *
 * Dense layers are int8 [in, out] with one float scale per output column: Cast, Mul by the scales,
 * then Gemm; onnxruntime folds the dequantization into a constant when the session loads, so the
 * file carries int8 and inference runs the float Gemm.
 *
 * Several heads share the word mean; each has its own bigram table and dense layers, and the
 * output is Log(Sum(Softmax(l_k)) / K) * logitScale (see ClassifierWeights). The sum is a chain
 * of Add, not the variadic Sum op: onnxruntime's WebGPU execution provider has no Sum kernel, so
 * a Sum node ran on the CPU and every inference read each head's probabilities back from the GPU
 * and uploaded their sum again (two extra GPU -> CPU syncs per run with two heads).
 */
import { isMixedTable, type ClassifierHead, type ClassifierWeights, type MixedTable, type QuantMatrix, type QuantTable } from '../types.ts';
import { DType, GraphBuilder, modelBytes } from './proto.ts';
import { checkMixed, int8Rows as int8RowsOf, mixedRows as mixedRowsOf } from './table-rows.ts';

const INT64_MAX = 9223372036854775807n;

export function buildClassifierOnnx(w: ClassifierWeights): Uint8Array {
  const D = w.words.dim;
  const C = w.labels.length;
  if (w.heads.length === 0) throw new Error('a classifier needs at least one head');
  const Db = w.heads[0].bigrams.dim;
  const zDim = D + Db;
  if (isMixedTable(w.words)) checkMixed(w.words, 'words');
  else if (w.words.q.length !== w.words.rows * D || w.words.scale.length !== w.words.rows) throw new Error('words: inconsistent sizes');
  if (!Number.isSafeInteger(w.bigramPrime) || w.bigramPrime <= 0) throw new Error('bigramPrime must be a positive safe integer');
  // ids * prime + id must not overflow int64 in the graph.
  if (BigInt(w.words.rows) * BigInt(w.bigramPrime) + BigInt(w.words.rows) > INT64_MAX) throw new Error('bigramPrime too large');
  w.heads.forEach((head, k) => checkHead(head, k, w.words, zDim, Db, C));
  const scale = w.logitScale ?? 1;
  if (!(Number.isFinite(scale) && scale > 0)) throw new Error('logitScale must be a positive number');

  const g = new GraphBuilder('switchyard_classifier');
  const ids = g.input('input_ids', DType.int64, ['batch', 'sequence']);
  const mask = g.input('attention_mask', DType.int64, ['batch', 'sequence']);
  g.input('token_type_ids', DType.int64, ['batch', 'sequence']);

  const ws = g.float('words.scale', [w.words.rows, 1], w.words.scale);
  // The single-head graph keeps its original tensor names (and initializer order).
  const single = w.heads.length === 1;
  const tables = w.heads.map((head, i) => {
    const p = single ? '' : `head${i}.`;
    const NB = head.bigrams.rows;
    return { p, NB, q: g.int8(`${p}bigrams.q`, [NB, Db], head.bigrams.q), s: g.float(`${p}bigrams.scale`, [NB, 1], head.bigrams.scale) };
  });
  const axis1 = g.int64('axes_1', [1], [1]);
  const axis2 = g.int64('axes_2', [1], [2]);
  const zero = g.int64('start_0', [1], [0]);
  const one = g.int64('start_1', [1], [1]);
  const minusOne = g.int64('end_minus_1', [1], [-1]);
  const end = g.int64('end_max', [1], [INT64_MAX]);
  const prime = g.int64('bigram_prime', [], [w.bigramPrime]);
  const buckets = tables.map((t) => g.int64(`${t.p}bigram_buckets`, [], [t.NB]));
  const oneF = g.float('one_f', [], [1]);

  const int8Rows = (prefix: string, q: string, idx: string) => int8RowsOf(g, prefix, q, idx);
  const mixedRows = (prefix: string, t: MixedTable, idx: string) => mixedRowsOf(g, prefix, t, idx, axis2);
  /** Per-row scales of idx from scale table s, gathered once per (s, idx) however many heads read them. */
  const scaleGathers = new Map<string, string>();
  const gatherScale = (prefix: string, s: string, idx: string): string => {
    const key = `${s}|${idx}`;
    if (!scaleGathers.has(key)) scaleGathers.set(key, g.op('Gather', [s, idx], { axis: 0 }, `${prefix}_row_scale`));
    return scaleGathers.get(key)!;
  };
  /** Weighted sum over axis 1 of table rows: sum_t weight[b,t] * table[idx[b,t]]. */
  const pooled = (prefix: string, rowF: string, s: string | (() => string), idx: string, weight: string): string => {
    const w3 = g.op('Unsqueeze', [weight, axis2], {}, `${prefix}_weight_3d`);
    const rowScale = typeof s === 'string' ? gatherScale(prefix, s, idx) : s();
    const coef = g.op('Mul', [rowScale, w3], {}, `${prefix}_coef`);
    const scaled = g.op('Mul', [rowF, coef], {}, `${prefix}_scaled`);
    return g.op('ReduceSum', [scaled, axis1], { keepdims: 0 }, `${prefix}_mean`);
  };
  /** weight / max(sum_t weight, 1) per batch row. */
  const meanWeights = (prefix: string, weight: string): string => {
    const count = g.op('ReduceSum', [weight, axis1], { keepdims: 1 }, `${prefix}_count`);
    const countC = g.op('Max', [count, oneF], {}, `${prefix}_count_clamped`);
    return g.op('Div', [weight, countC], {}, `${prefix}_weight`);
  };

  /** An int8 matrix with per-column scales as float: Cast, Mul (folded to a constant by onnxruntime). */
  const matrix = (name: string, m: QuantMatrix): string => {
    const q = g.int8(`${name}.q`, [m.rows, m.cols], m.q);
    const s = g.float(`${name}.scale`, [m.cols], m.scale);
    const u = name.replace(/\./g, '_');
    return g.op('Mul', [g.op('Cast', [q], { to: DType.float }, `${u}_f`), s], {}, `${u}_dequant`);
  };

  // Word mean.
  const maskF = g.op('Cast', [mask], { to: DType.float }, 'mask_f');
  const words = w.words;
  const mixed = isMixedTable(words) ? mixedRows('words', words, ids) : undefined;
  const wordRows = mixed ? mixed.codes : int8Rows('word', g.int8('words.q', [words.rows, D], (words as QuantTable).q), ids);
  const wordWeight = meanWeights('word', maskF);
  const m = pooled('word', wordRows, ws, ids, wordWeight);
  /** A head's word mean: its own int8 rows where the shared table has int8 rows, else shared. */
  const ownWordMean = (k: number, own: NonNullable<ClassifierHead['words']>): string => {
    const n8 = (w.words as MixedTable).n8;
    const q8 = g.int8(`head${k}.words.q8`, [n8, D], own.q8);
    const s8 = g.float(`head${k}.words.scale8`, [n8, 1], own.scale8);
    const codes = g.op('Where', [mixed!.is8f, int8Rows(`head${k}_words`, q8, mixed!.i8), mixed!.r4], {}, `head${k}_word_codes`);
    const scale = () => {
      const shared = gatherScale('word', ws, ids);
      const mine = g.op('Gather', [s8, mixed!.i8], { axis: 0 }, `head${k}_word_scale_own`);
      return g.op('Where', [mixed!.is8f, mine, shared], {}, `head${k}_word_scale`);
    };
    return pooled(`head${k}_word`, codes, scale, ids, wordWeight);
  };

  // Bigram pairs, hashed per head (each head has its own table size).
  const idsA = g.op('Slice', [ids, zero, minusOne, axis1], {}, 'ids_a');
  const idsB = g.op('Slice', [ids, one, end, axis1], {}, 'ids_b');
  const mul = g.op('Mul', [idsA, prime], {}, 'ids_a_prime');
  const add = g.op('Add', [mul, idsB], {}, 'bigram_raw');
  const hashes = tables.map((t, i) => g.op('Mod', [add, buckets[i]], { fmod: 0 }, single ? 'bigram_ids' : `head${i}_bigram_ids`));
  const maskA = g.op('Slice', [maskF, zero, minusOne, axis1], {}, 'mask_a');
  const maskB = g.op('Slice', [maskF, one, end, axis1], {}, 'mask_b');
  const k = g.op('Mul', [maskA, maskB], {}, 'bigram_mask');
  let bigramWeight = '';

  const headLogits = w.heads.map((head, i) => {
    const { p, q: bq, s: bs } = tables[i];
    const u = single ? '' : `head${i}_`;
    const h = hashes[i];
    const rows = int8Rows(`${u}bigram`, bq, h);
    bigramWeight ||= meanWeights('bigram', k);
    const gm = pooled(`${u}bigram`, rows, bs, h, bigramWeight);
    let z = g.op('Concat', [head.words ? ownWordMean(i, head.words) : m, gm], { axis: 1 }, `${u}z`);
    if (head.hidden) {
      const hw = matrix(`${p}hidden.w`, head.hidden.w);
      const hb = g.float(`${p}hidden.b`, [head.hidden.size], head.hidden.b);
      const pre = g.op('Gemm', [z, hw, hb], {}, `${u}hidden_pre`);
      z = g.op('Relu', [pre], {}, `${u}hidden`);
    }
    const ow = matrix(`${p}out.w`, head.out.w);
    const ob = g.float(`${p}out.b`, [C], head.out.b);
    return g.op('Gemm', [z, ow, ob], {}, single ? 'logits' : `${u}logits`);
  });
  if (!single) {
    const probs = headLogits.map((l, i) => g.op('Softmax', [l], { axis: -1 }, `head${i}_probs`));
    // ((p0 + p1) + p2) + …: the order onnxruntime's CPU Sum adds in, so the logits are unchanged.
    const sum = probs.slice(1).reduce((acc, p, i) => g.op('Add', [acc, p], {}, i === probs.length - 2 ? 'heads_prob_sum' : `heads_prob_sum_${i + 1}`), probs[0]);
    const mean = g.op('Mul', [sum, g.float('heads_inv_count', [], [1 / w.heads.length])], {}, 'heads_prob_mean');
    const logMean = g.op('Log', [mean], {}, 'heads_log_prob');
    g.op('Mul', [logMean, g.float('logit_scale', [], [scale])], {}, 'logits');
  }

  g.output('logits', DType.float, ['batch', C]);
  return modelBytes(g, { docString: 'Switchyard fastText-style intent classifier (int8 tables, per-row scale).' });
}

function checkHead(head: ClassifierHead, k: number, words: ClassifierWeights['words'], zDim: number, Db: number, C: number): void {
  const { bigrams: b, hidden, out } = head;
  if (head.words) {
    if (!isMixedTable(words)) throw new Error(`head ${k}: own word rows need a mixed (int8 + 4-bit) word table`);
    if (head.words.q8.length !== words.n8 * words.dim || head.words.scale8.length !== words.n8) throw new Error(`head ${k}: words: inconsistent sizes`);
  }
  if (b.dim !== Db || b.q.length !== b.rows * b.dim || b.scale.length !== b.rows || b.rows < 1) throw new Error(`head ${k}: bigrams: inconsistent sizes`);
  const okMatrix = (m: QuantMatrix, rows: number, cols: number) => m.rows === rows && m.cols === cols && m.q.length === rows * cols && m.scale.length === cols;
  if (hidden && (!okMatrix(hidden.w, zDim, hidden.size) || hidden.b.length !== hidden.size)) throw new Error(`head ${k}: hidden: inconsistent sizes`);
  const inDim = hidden ? hidden.size : zDim;
  if (!okMatrix(out.w, inDim, C) || out.b.length !== C) throw new Error(`head ${k}: out: inconsistent sizes`);
}

