/**
 * The reranker's math in TypeScript: the same quantities its ONNX graph computes
 * (onnx/reranker-graph.ts), used to train it. For a pair encoding `[CLS] q [SEP] p [SEP]`:
 *
 *   query tokens    t < min(T, QUERY_MAX) with type 0 and id > lastSpecialId   (qm_t = 1)
 *   passage tokens  s with type 1 and id > lastSpecialId                        (dm_s = 1)
 *   ms_t  = relu(max_s cos(e_t, e_s))            late interaction (MaxSim) on unit token vectors
 *   tf_t  = #{s : id_s = id_t}                   exact matches, hit_t = min(tf_t, 1)
 *   sat_t = tf_t (k1+1) / (tf_t + k1 (1 - b + b dl / avgdl)),   dl = #passage tokens
 *   bi_t  = 1 when the query bigram (t, t+1) occurs in the passage
 *   w_t   = weight[id_t]  (learned function of IDF, 0 for special tokens)
 *
 *   soft   = sum qm w ms  / W        W = sum qm w
 *   exact  = sum qm w hit / W
 *   bm25   = sum qm w sat / W
 *   bigram = sum qm_t qm_t+1 bi_t (w_t + w_t+1) / sum qm_t qm_t+1 (w_t + w_t+1)
 *   dense  = cos(sum_q r_t, sum_p r_s)           r = the static embedder's own rows
 *   length = ln(1 + dl)
 *   logit  = a . features + c
 */
/** A pair as WordPieceTokenizer.encodePair returns it. */
export interface EncodedPair {
  ids: number[];
  typeIds: number[];
}

/** Query tokens beyond this position take no part (keeps the MaxSim matrix small). */
export const QUERY_MAX = 64;
export const FEATURE_EPS = 1e-6;
export const FEATURES = ['soft', 'exact', 'bm25', 'bigram', 'dense', 'length'] as const;
export type FeatureName = (typeof FEATURES)[number];

/** The int8 token table shared with the static embedder, plus the unit-length scale per row. */
export interface TokenTable {
  rows: number;
  dim: number;
  q: Int8Array;
  /** The embedder's per-row scale: q * scale is the embedder's row. */
  scale: Float32Array;
  /** 1 / ||q_row|| (0 for a zero row): q * unitScale has length 1. */
  unitScale: Float32Array;
  /** Ids 0..lastSpecialId are special tokens ([PAD], [UNK], [CLS], [SEP], [MASK]). */
  lastSpecialId: number;
}

export function unitScales(q: Int8Array, rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let n = 0;
    for (let d = 0; d < dim; d++) n += q[r * dim + d] * q[r * dim + d];
    out[r] = n > 0 ? 1 / Math.sqrt(n) : 0;
  }
  return out;
}

const unitCache = new WeakMap<TokenTable, Map<number, Float32Array>>();

/** The unit-length vector of a token (q * unitScale), cached per table. */
function unitVector(table: TokenTable, id: number): Float32Array {
  let cache = unitCache.get(table);
  if (!cache) unitCache.set(table, (cache = new Map()));
  let v = cache.get(id);
  if (!v) {
    const D = table.dim;
    v = new Float32Array(D);
    for (let d = 0; d < D; d++) v[d] = table.q[id * D + d] * table.unitScale[id];
    cache.set(id, v);
  }
  return v;
}

/** What the features need of one pair, independent of the learned weights. */
export interface PairStats {
  /** Ids at query positions t < min(T, QUERY_MAX), with qm_t. */
  qIds: Int32Array;
  qm: Uint8Array;
  ms: Float32Array;
  tf: Float32Array;
  /** bi_t for t < length - 1. */
  bi: Uint8Array;
  dl: number;
  dense: number;
}

/** Per-pair statistics (MaxSim, exact matches, bigrams, dense cosine) of one encoded pair. */
export function pairStats(pair: EncodedPair, table: TokenTable): PairStats {
  const { ids, typeIds } = pair;
  const T = ids.length;
  const Tq = Math.min(T, QUERY_MAX);
  const D = table.dim;
  const content = (t: number) => ids[t] > table.lastSpecialId;
  const qIds = Int32Array.from(ids.slice(0, Tq));
  const qm = Uint8Array.from({ length: Tq }, (_, t) => (typeIds[t] === 0 && content(t) ? 1 : 0));
  const passage: number[] = [];
  for (let s = 0; s < T; s++) if (typeIds[s] === 1 && content(s)) passage.push(s);
  const dm = new Uint8Array(T);
  for (const s of passage) dm[s] = 1;

  const pv = passage.map((s) => unitVector(table, ids[s]));
  const ms = new Float32Array(Tq);
  const tf = new Float32Array(Tq);
  for (let t = 0; t < Tq; t++) {
    if (!qm[t]) continue;
    const qv = unitVector(table, ids[t]);
    let best = -2;
    let count = 0;
    for (let j = 0; j < passage.length; j++) {
      const v = pv[j];
      let dot = 0;
      for (let d = 0; d < D; d++) dot += qv[d] * v[d];
      if (dot > best) best = dot;
      if (ids[passage[j]] === ids[t]) count++;
    }
    ms[t] = Math.max(best, 0);
    tf[t] = count;
  }
  const bi = new Uint8Array(Math.max(Tq - 1, 0));
  for (let t = 0; t + 1 < Tq; t++) {
    for (let s = 0; s + 1 < T; s++) {
      if (dm[s] && dm[s + 1] && ids[s] === ids[t] && ids[s + 1] === ids[t + 1]) {
        bi[t] = 1;
        break;
      }
    }
  }
  // Dense: cosine of the sums of the embedder's rows (q * scale).
  const sq = new Float64Array(D);
  const sp = new Float64Array(D);
  for (let t = 0; t < Tq; t++) if (qm[t]) for (let d = 0; d < D; d++) sq[d] += table.q[ids[t] * D + d] * table.scale[ids[t]];
  for (const s of passage) for (let d = 0; d < D; d++) sp[d] += table.q[ids[s] * D + d] * table.scale[ids[s]];
  let dot = 0;
  let nq = 0;
  let np = 0;
  for (let d = 0; d < D; d++) (dot += sq[d] * sp[d]), (nq += sq[d] * sq[d]), (np += sp[d] * sp[d]);
  const dense = dot / Math.max(Math.sqrt(nq) * Math.sqrt(np), FEATURE_EPS);
  return { qIds, qm, ms, tf, bi, dl: passage.length, dense };
}

/** The BM25 shape parameters baked into the graph. */
export interface Bm25Shape {
  k1: number;
  b: number;
  avgdl: number;
}

/** The feature vector of one pair (order: FEATURES). */
export function pairFeatures(st: PairStats, weight: Float32Array, bm: Bm25Shape): Float64Array {
  const Tq = st.qIds.length;
  let W = 0;
  let soft = 0;
  let exact = 0;
  let bm25 = 0;
  const norm = bm.k1 * (1 - bm.b + (bm.b * st.dl) / bm.avgdl);
  for (let t = 0; t < Tq; t++) {
    if (!st.qm[t]) continue;
    const w = weight[st.qIds[t]];
    W += w;
    soft += w * st.ms[t];
    exact += w * Math.min(st.tf[t], 1);
    bm25 += (w * st.tf[t] * (bm.k1 + 1)) / (st.tf[t] + norm);
  }
  let biNum = 0;
  let biDen = 0;
  for (let t = 0; t + 1 < Tq; t++) {
    if (!st.qm[t] || !st.qm[t + 1]) continue;
    const w = weight[st.qIds[t]] + weight[st.qIds[t + 1]];
    biDen += w;
    biNum += st.bi[t] * w;
  }
  const Wc = Math.max(W, FEATURE_EPS);
  return Float64Array.from([soft / Wc, exact / Wc, bm25 / Wc, biNum / Math.max(biDen, FEATURE_EPS), st.dense, Math.log1p(st.dl)]);
}
