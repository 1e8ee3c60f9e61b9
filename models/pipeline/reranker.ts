/**
 * Trains and exports Switchyard's default reranker: a cross-encoder-format late-interaction model
 * over the static embedder's int8 token vectors (see reranker-features.ts for the math).
 *
 * Training, all in TypeScript and deterministic (seeded, no threads, no onnxruntime):
 *  1. candidates per training query: BM25 and dense (embedder) top lists fused by reciprocal rank
 *     fusion, as the regional service retrieves, with the relevant passages added when missed;
 *  2. per-pair statistics (MaxSim, exact matches, bigrams, dense cosine) computed once;
 *  3. a small grid over the token-weight shape (IDF exponent, sub-word discount) and BM25's
 *     k1 and b, each point fitting the linear feature weights with a listwise softmax loss on a
 *     training split and scored by nDCG@10 on a held-out split;
 *  4. the best point refitted on all queries, then a Platt scale and bias (pointwise logistic
 *     regression) so that sigmoid(logit) reads as P(relevant).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex, type ModelManifest } from '../../shared/models/manifest.ts';
import { WordPieceTokenizer, type TokenizerJson } from '../../shared/tokenizer/wordpiece.ts';
import { ndcgAt } from '../../shared/eval/rerank-eval.ts';
import { loadModelFolder } from './load-node.ts';
import { mulberry32 } from './datasets.ts';
import { bertTokenizerConfig, classifierConfig, writeHfModelFolder } from './hf-folder.ts';
import { writeManifest } from './manifest-writer.ts';
import { embedderTableFromOnnx } from './onnx/embedder-table.ts';
import { buildRerankerOnnx } from './onnx/reranker-graph.ts';
import type { Passage, RerankQuery } from './reranker-data.ts';
import { pairFeatures, pairStats, unitScales, FEATURES, type Bm25Shape, type PairStats, type TokenTable } from './reranker-features.ts';
import { Bm25Index, DenseIndex, reciprocalRankFusion, sentenceVector } from '../../shared/eval/passage-retrieval.ts';

export interface RerankerOptions {
  seed: number;
  /** Pair length in tokens (tokenizer_config model_max_length). */
  maxLength: number;
  /** Candidates per training query (the first stage's list length). */
  candidates: number;
  /** Grid of the token weight w = idf^gamma (x pieceFactor for ## pieces) and of BM25's k1, b. */
  gammas: number[];
  pieceFactors: number[];
  k1s: number[];
  bs: number[];
  /** Share of each set's queries held out to choose the grid point. */
  valFraction: number;
  l2: number;
  iterations: number;
  learningRate: number;
}

export const DEFAULT_RERANKER: RerankerOptions = {
  seed: 13,
  maxLength: 512,
  candidates: 30,
  gammas: [0.5, 1, 1.5, 2],
  pieceFactors: [0.5, 1],
  k1s: [1.2],
  bs: [0.4, 0.75],
  valFraction: 0.2,
  l2: 1e-3,
  iterations: 300,
  learningRate: 0.5,
};

/** One training collection: passages and queries over them, weighted in the loss. */
export interface RerankSet {
  name: string;
  passages: Passage[];
  queries: RerankQuery[];
  /** Total loss weight of the set (split evenly over its queries). */
  weight: number;
}

export interface RerankerWeights {
  table: TokenTable;
  /** Token weight per vocabulary id (0 for special tokens). */
  weight: Float32Array;
  bm25: Bm25Shape;
  /** Linear weights over FEATURES and the bias: logit = coef . features + bias. */
  coef: Float32Array;
  bias: number;
}

export interface EmbedderSource {
  table: TokenTable;
  /** The embedder's dequantized rows (dense retrieval while mining). */
  rows: Float32Array;
  tokenizerJson: TokenizerJson & Record<string, unknown>;
  tokenizer: WordPieceTokenizer;
  manifest: ModelManifest;
}

/** The token table (int8 codes) of a built static embedder folder (verified against its manifest). */
export async function loadEmbedderTable(embedderDir: string): Promise<EmbedderSource> {
  const f = await loadModelFolder(embedderDir);
  const { rows, dim, q, scale } = embedderTableFromOnnx(f.onnx, embedderDir);
  const tokenizerJson = JSON.parse(await readFile(join(embedderDir, 'tokenizer.json'), 'utf8'));
  const specials = (tokenizerJson.added_tokens ?? []).map((t: { id: number }) => t.id) as number[];
  const lastSpecialId = Math.max(...specials);
  if (specials.length !== lastSpecialId + 1) throw new Error(`${embedderDir}: special tokens must be ids 0..${specials.length - 1}`);
  const dense = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) for (let d = 0; d < dim; d++) dense[r * dim + d] = q[r * dim + d] * scale[r];
  return {
    table: { rows, dim, q, scale, unitScale: unitScales(q, rows, dim), lastSpecialId },
    rows: dense,
    tokenizerJson,
    tokenizer: f.tokenizer,
    manifest: f.manifest,
  };
}

/** BM25-style IDF of every vocabulary id over a reference corpus (document frequency of word pieces). */
export function idfTable(tokenizer: WordPieceTokenizer, texts: string[]): Float32Array {
  const df = new Uint32Array(tokenizer.vocabSize);
  for (const text of texts) for (const id of new Set(tokenizer.encode(text))) df[id]++;
  const N = texts.length;
  return Float32Array.from(df, (n) => Math.log(1 + (N - n + 0.5) / (n + 0.5)));
}

/** Token weights w = idf^gamma, x pieceFactor for `##` pieces, 0 for special tokens. */
export function tokenWeights(idf: Float32Array, tokenizer: WordPieceTokenizer, lastSpecialId: number, gamma: number, pieceFactor: number): Float32Array {
  return Float32Array.from(idf, (v, id) => {
    if (id <= lastSpecialId) return 0;
    const piece = tokenizer.idToToken[id]?.startsWith('##') ?? false;
    return Math.pow(v, gamma) * (piece ? pieceFactor : 1);
  });
}

interface Group {
  set: number;
  stats: PairStats[];
  labels: Uint8Array;
  weight: number;
}

/** First-stage candidates of every query of a set (RRF of BM25 and dense top lists), positives added. */
export function mineCandidates(set: RerankSet, emb: EmbedderSource, k: number): Array<{ q: RerankQuery; candidates: number[] }> {
  const index = new Map(set.passages.map((p, i) => [p.id, i]));
  const bm25 = new Bm25Index(set.passages.map((p) => p.text));
  const dense = new DenseIndex(set.passages.map((p) => sentenceVector(emb.tokenizer.encode(p.text), emb.rows, emb.table.dim)));
  const inPool = (q: RerankQuery) => (i: number) => {
    const id = set.passages[i].id;
    if (q.pool === 'catalog') return id.startsWith('KB-SKU-');
    if (q.pool === 'policies') return id.startsWith('policies#');
    return true;
  };
  return set.queries.map((q) => {
    const allow = inPool(q);
    const fused = reciprocalRankFusion(
      [bm25.search(q.query, k, allow), dense.search(sentenceVector(emb.tokenizer.encode(q.query), emb.rows, emb.table.dim), k, allow)],
      60,
      k,
    ).map((h) => h.index);
    const positives = q.relevant.map((id) => index.get(id)).filter((i): i is number => i !== undefined);
    const candidates = [...fused];
    for (const p of positives) if (!candidates.includes(p)) candidates.push(p);
    return { q, candidates };
  });
}

function buildGroups(sets: RerankSet[], emb: EmbedderSource, tokenizer: WordPieceTokenizer, k: number): Group[] {
  const groups: Group[] = [];
  sets.forEach((set, si) => {
    const mined = mineCandidates(set, emb, k);
    for (const { q, candidates } of mined) {
      const rel = new Set(q.relevant);
      const labels = Uint8Array.from(candidates, (i) => (rel.has(set.passages[i].id) ? 1 : 0));
      if (!labels.includes(1) || !labels.includes(0)) continue;
      const stats = candidates.map((i) => pairStats(tokenizer.encodePair(q.query, set.passages[i].text), emb.table));
      groups.push({ set: si, stats, labels, weight: set.weight });
    }
  });
  // Each set's weight is split evenly over its groups.
  const count = sets.map((_, si) => groups.filter((g) => g.set === si).length);
  for (const g of groups) g.weight /= Math.max(1, count[g.set]);
  return groups;
}

interface Fit {
  /** Weights over standardized features. */
  a: Float64Array;
  mean: Float64Array;
  std: Float64Array;
}

/** Feature rows of a list of groups, flattened: row i is Z[i*K .. i*K+K). */
interface Flat {
  Z: Float64Array;
  labels: Uint8Array;
  /** Group g is rows offsets[g] .. offsets[g+1]. */
  offsets: Int32Array;
  weights: Float64Array;
  sets: Int32Array;
}

function flatten(X: Float64Array[][], groups: Group[]): Flat {
  const K = FEATURES.length;
  const n = X.reduce((s, xs) => s + xs.length, 0);
  const Z = new Float64Array(n * K);
  const labels = new Uint8Array(n);
  const offsets = new Int32Array(X.length + 1);
  let r = 0;
  X.forEach((xs, gi) => {
    offsets[gi] = r;
    xs.forEach((x, i) => {
      Z.set(x, r * K);
      labels[r] = groups[gi].labels[i];
      r++;
    });
  });
  offsets[X.length] = r;
  return { Z, labels, offsets, weights: Float64Array.from(groups, (g) => g.weight), sets: Int32Array.from(groups, (g) => g.set) };
}

/** Listwise softmax loss (all positives vs the list), L2, gradient descent with momentum from zero. */
function fitListwise(data: Flat, opts: RerankerOptions): Fit {
  const K = FEATURES.length;
  const { Z: X, labels, offsets, weights } = data;
  const n = labels.length;
  const mean = new Float64Array(K);
  const std = new Float64Array(K);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) mean[k] += X[i * K + k] / Math.max(n, 1);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) std[k] += (X[i * K + k] - mean[k]) ** 2 / Math.max(n, 1);
  for (let k = 0; k < K; k++) std[k] = Math.sqrt(std[k]) || 1;
  const Z = Float64Array.from(X, (v, j) => (v - mean[j % K]) / std[j % K]);
  let totalWeight = 0;
  for (const w of weights) totalWeight += w;
  const a = new Float64Array(K);
  const velocity = new Float64Array(K);
  const s = new Float64Array(n);
  const grad = new Float64Array(K);
  for (let it = 0; it < opts.iterations; it++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let k = 0; k < K; k++) v += Z[i * K + k] * a[k];
      s[i] = v;
    }
    for (let g = 0; g + 1 < offsets.length; g++) {
      const lo = offsets[g];
      const hi = offsets[g + 1];
      let max = -Infinity;
      for (let i = lo; i < hi; i++) max = Math.max(max, s[i]);
      let all = 0;
      let pos = 0;
      for (let i = lo; i < hi; i++) {
        const e = Math.exp(s[i] - max);
        all += e;
        if (labels[i]) pos += e;
      }
      const gw = weights[g] / totalWeight;
      for (let i = lo; i < hi; i++) {
        const e = Math.exp(s[i] - max);
        const coef = gw * (e / all - (labels[i] ? e / pos : 0));
        for (let k = 0; k < K; k++) grad[k] += coef * Z[i * K + k];
      }
    }
    for (let k = 0; k < K; k++) {
      velocity[k] = 0.9 * velocity[k] - opts.learningRate * (grad[k] + opts.l2 * a[k]);
      a[k] += velocity[k];
    }
  }
  return { a, mean, std };
}

function scoreRow(fit: Fit, Z: Float64Array, i: number): number {
  const K = fit.a.length;
  let s = 0;
  for (let k = 0; k < K; k++) s += (fit.a[k] * (Z[i * K + k] - fit.mean[k])) / fit.std[k];
  return s;
}

/** Mean over sets of the mean nDCG@10 of the groups, ranking each group's candidates by `fit`. */
function validationNdcg(data: Flat, fit: Fit, sets: number): number {
  const per = Array.from({ length: sets }, () => ({ sum: 0, n: 0 }));
  for (let g = 0; g + 1 < data.offsets.length; g++) {
    const lo = data.offsets[g];
    const hi = data.offsets[g + 1];
    const rows = Array.from({ length: hi - lo }, (_, j) => ({ j, s: scoreRow(fit, data.Z, lo + j) }));
    const order = rows.sort((x, y) => y.s - x.s || x.j - y.j).map((r) => String(r.j));
    const rel = new Set(rows.filter((r) => data.labels[lo + r.j]).map((r) => String(r.j)));
    per[data.sets[g]].sum += ndcgAt(order, rel, 10);
    per[data.sets[g]].n++;
  }
  const used = per.filter((p) => p.n > 0);
  return used.reduce((acc, p) => acc + p.sum / p.n, 0) / Math.max(1, used.length);
}

/**
 * Pointwise logistic regression of the label on the score, sigmoid(alpha * s + beta), by damped
 * Newton steps with a small ridge on alpha (keeps it finite when the data are nearly separable).
 */
export function plattScale(scores: Float64Array, labels: Uint8Array, iterations = 50): { alpha: number; beta: number } {
  const ridge = 1e-3 * scores.length;
  const loss = (al: number, be: number) => {
    let l = 0.5 * ridge * al * al;
    scores.forEach((s, i) => {
      const z = al * s + be;
      l += Math.max(z, 0) - (labels[i] ? z : 0) + Math.log1p(Math.exp(-Math.abs(z)));
    });
    return l;
  };
  let alpha = 1;
  let beta = 0;
  let current = loss(alpha, beta);
  for (let it = 0; it < iterations; it++) {
    let ga = ridge * alpha;
    let gb = 0;
    let haa = ridge;
    let hab = 0;
    let hbb = 1e-9;
    scores.forEach((s, i) => {
      const p = 1 / (1 + Math.exp(-(alpha * s + beta)));
      const r = p - labels[i];
      const w = p * (1 - p);
      ga += r * s;
      gb += r;
      haa += w * s * s;
      hab += w * s;
      hbb += w;
    });
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let step = 1;
    while (step > 1e-4 && loss(alpha - step * da, beta - step * db) > current) step /= 2;
    if (step <= 1e-4) break;
    alpha -= step * da;
    beta -= step * db;
    const next = loss(alpha, beta);
    if (current - next < 1e-9) {
      current = next;
      break;
    }
    current = next;
  }
  return { alpha, beta };
}

export interface TrainedReranker {
  weights: RerankerWeights;
  onnx: Uint8Array;
  tokenizer: WordPieceTokenizer;
  tokenizerJson: TokenizerJson & Record<string, unknown>;
  options: RerankerOptions;
  chosen: { gamma: number; pieceFactor: number; k1: number; b: number; valNdcg10: number };
  /** Every grid point with its held-out nDCG@10. */
  grid: Array<{ gamma: number; pieceFactor: number; k1: number; b: number; valNdcg10: number }>;
  trainingDataSha256: string;
  counts: Record<string, number>;
}

export async function trainReranker(
  emb: EmbedderSource,
  sets: RerankSet[],
  idfTexts: string[],
  options: Partial<RerankerOptions> = {},
): Promise<TrainedReranker> {
  const opts = { ...DEFAULT_RERANKER, ...options };
  const tokenizer = new WordPieceTokenizer(emb.tokenizerJson, { maxLength: opts.maxLength });
  const idf = idfTable(tokenizer, idfTexts);
  const groups = buildGroups(sets, emb, tokenizer, opts.candidates);
  const rand = mulberry32(opts.seed);
  const isVal = groups.map(() => rand() < opts.valFraction);
  const avgdl = Math.round(
    groups.reduce((s, g) => s + g.stats.reduce((t, st) => t + st.dl, 0), 0) / Math.max(1, groups.reduce((s, g) => s + g.stats.length, 0)),
  );

  const featuresFor = (weight: Float32Array, bm: Bm25Shape) => groups.map((g) => g.stats.map((st) => pairFeatures(st, weight, bm)));
  const trIdx = groups.flatMap((_, i) => (isVal[i] ? [] : [i]));
  const vaIdx = groups.flatMap((_, i) => (isVal[i] ? [i] : []));
  const grid: TrainedReranker['grid'] = [];
  let best: TrainedReranker['chosen'] | undefined;
  for (const gamma of opts.gammas) {
    for (const pieceFactor of opts.pieceFactors) {
      const weight = tokenWeights(idf, tokenizer, emb.table.lastSpecialId, gamma, pieceFactor);
      for (const k1 of opts.k1s) {
        for (const b of opts.bs) {
          const X = featuresFor(weight, { k1, b, avgdl });
          const fit = fitListwise(flatten(trIdx.map((i) => X[i]), trIdx.map((i) => groups[i])), opts);
          const valNdcg10 = validationNdcg(flatten(vaIdx.map((i) => X[i]), vaIdx.map((i) => groups[i])), fit, sets.length);
          const point = { gamma, pieceFactor, k1, b, valNdcg10 };
          grid.push(point);
          if (!best || valNdcg10 > best.valNdcg10 + 1e-12) best = point;
        }
      }
    }
  }
  const chosen = best!;
  const weight = tokenWeights(idf, tokenizer, emb.table.lastSpecialId, chosen.gamma, chosen.pieceFactor);
  const bm25: Bm25Shape = { k1: chosen.k1, b: chosen.b, avgdl };
  const all = flatten(featuresFor(weight, bm25), groups);
  const fit = fitListwise(all, opts);
  const scores = Float64Array.from(all.labels, (_, i) => scoreRow(fit, all.Z, i));
  const labels = all.labels;
  const { alpha, beta } = plattScale(scores, labels);
  const coef = Float32Array.from(fit.a, (a, k) => (alpha * a) / fit.std[k]);
  const bias = beta - FEATURES.reduce((acc, _, k) => acc + (alpha * fit.a[k] * fit.mean[k]) / fit.std[k], 0);
  const weights: RerankerWeights = { table: emb.table, weight, bm25, coef, bias };
  const dataText = sets
    .map((s) => `${s.name}\n${s.queries.map((q) => `${q.query}\t${q.relevant.join(',')}`).join('\n')}\n${s.passages.map((p) => `${p.id}\t${p.text}`).join('\n')}`)
    .join('\n');
  const counts: Record<string, number> = { groups: groups.length, pairs: labels.length, avgdl };
  sets.forEach((s, si) => (counts[`${s.name}Queries`] = groups.filter((g) => g.set === si).length));
  return {
    weights,
    onnx: buildRerankerOnnx(weights),
    tokenizer,
    tokenizerJson: emb.tokenizerJson,
    options: opts,
    chosen,
    grid,
    trainingDataSha256: await sha256Hex(new TextEncoder().encode(dataText)),
    counts,
  };
}

/** The logit of one pair computed in TypeScript (float64), for checks against the graph. */
export function referenceLogit(w: RerankerWeights, tokenizer: WordPieceTokenizer, query: string, passage: string): number {
  const x = pairFeatures(pairStats(tokenizer.encodePair(query, passage), w.table), w.weight, w.bm25);
  return x.reduce((s, v, k) => s + v * w.coef[k], w.bias);
}

/** config.json of the reranker: BertForSequenceClassification with one relevance logit. */
export function rerankerConfig(vocabSize: number, dim: number, maxLength: number, extra: Record<string, unknown>) {
  const base = classifierConfig(['LABEL_0'], vocabSize, dim, maxLength);
  const { problem_type: _drop, ...rest } = base;
  return { ...rest, num_labels: 1, switchyard: extra };
}

export async function writeRerankerFolder(
  dir: string,
  m: TrainedReranker,
  meta: { name: string; version: string; embedder: ModelManifest; metrics: Record<string, unknown>; settings?: Record<string, unknown> },
): Promise<ModelManifest> {
  const switchyard = {
    kind: 'cross-encoder',
    features: [...FEATURES],
    coefficients: Array.from(m.weights.coef),
    bias: m.weights.bias,
    bm25: m.weights.bm25,
    tokenWeight: { gamma: m.chosen.gamma, pieceFactor: m.chosen.pieceFactor },
  };
  await writeHfModelFolder(dir, {
    onnx: m.onnx,
    config: rerankerConfig(m.tokenizer.vocabSize, m.weights.table.dim, m.options.maxLength, switchyard),
    tokenizerJson: m.tokenizerJson,
    tokenizerConfig: bertTokenizerConfig({ modelMaxLength: m.options.maxLength }),
  });
  return writeManifest(dir, {
    name: meta.name,
    version: meta.version,
    kind: 'cross-encoder',
    trainingDataSha256: m.trainingDataSha256,
    settings: {
      ...m.options,
      ...meta.settings,
      chosen: m.chosen,
      counts: m.counts,
      embedder: `${meta.embedder.name}@${meta.embedder.version}`,
    },
    seed: m.options.seed,
    metrics: meta.metrics,
  });
}
