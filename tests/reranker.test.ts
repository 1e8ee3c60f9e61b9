import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AutoModelForSequenceClassification, AutoTokenizer, env as hfEnv } from '@huggingface/transformers';
import * as ortWeb from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { CrossEncoder, CrossEncoderInputError } from '../shared/models/cross-encoder.ts';
import { sha256Hex, type ModelManifest } from '../shared/models/manifest.ts';
import type { OrtSession, OrtTensorConstructor } from '../shared/models/onnx-session.ts';
import { evaluateRerank, ndcgAt, orderByScore, rankMetrics } from '../shared/eval/rerank-eval.ts';
import { repoRoot } from '../models/pipeline/datasets.ts';
import { decodeModel } from '../models/pipeline/onnx/proto.ts';
import { embedderTableFromOnnx } from '../models/pipeline/onnx/embedder-table.ts';
import { buildRerankerOnnx } from '../models/pipeline/onnx/reranker-graph.ts';
import { loadEmbedderTable, referenceLogit, trainReranker, type RerankerWeights } from '../models/pipeline/reranker.ts';
import { catalogQueries, policySections, storeKbPassages } from '../models/pipeline/reranker-data.ts';
import { FEATURES } from '../models/pipeline/reranker-features.ts';
import { loadCrossEncoder, loadModelFolder } from '../regional/src/inference/load-node.ts';

const DIR = join(repoRoot(), 'models', 'default');
const RERANKER = join(DIR, 'reranker');
const EMBEDDER = join(DIR, 'embedder');

const kb = new Map(storeKbPassages().map((p) => [p.id, p.text]));
const passage = (id: string) => {
  const text = kb.get(id);
  if (!text) throw new Error(`no passage ${id}`);
  return text;
};

/** Hand-written store queries (not from kb/questions.jsonl), one relevant passage, others clearly not. */
const EXAMPLES = [
  { query: 'who is the author of chainsaw man', relevant: 'KB-SKU-0038', others: ['KB-SKU-0167', 'policies#privacy', 'faq-031'] },
  { query: 'how long until my refund shows up', relevant: 'faq-020', others: ['KB-SKU-0001', 'faq-003', 'policies#preorders'] },
  { query: 'what does shipping to alaska cost', relevant: 'faq-003', others: ['KB-SKU-0023', 'faq-033', 'policies#privacy'] },
  { query: 'desert planet arrakis novel', relevant: 'KB-SKU-0167', others: ['KB-SKU-0001', 'KB-SKU-0076', 'faq-012'] },
];

const HOSTILE = ['', ' ', 'where is my order '.repeat(6000), '📦📦📦 🚚 ✨ 👨‍👩‍👧', '\u0000\u0007\u001b[31m', '[SEP][CLS][PAD]', '\ud83d', '東京の本屋さんで漫画'];

describe('default reranker', () => {
  let ce: Awaited<ReturnType<typeof loadCrossEncoder>>;
  beforeAll(async () => {
    ce = await loadCrossEncoder(RERANKER);
  });

  it('is a small cross-encoder folder that its manifest describes', async () => {
    const m = JSON.parse(await readFile(join(RERANKER, 'manifest.json'), 'utf8')) as ModelManifest;
    expect(m.kind).toBe('cross-encoder');
    expect(Object.keys(m.files).sort()).toEqual(['config.json', 'onnx/model_quantized.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    const onnx = await readFile(join(RERANKER, 'onnx', 'model_quantized.onnx'));
    expect(onnx.byteLength).toBeLessThan(5 * 1024 * 1024);
    const config = JSON.parse(await readFile(join(RERANKER, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'bert', architectures: ['BertForSequenceClassification'], num_labels: 1, id2label: { 0: 'LABEL_0' } });
    // The token table is the embedder's own (its 4-bit codes as int8), byte for byte, scales too.
    const init = (bytes: Uint8Array, name: string) => decodeModel(bytes).graph!.initializer!.find((t) => t.name === name)!.rawData!;
    const emb = embedderTableFromOnnx((await loadModelFolder(EMBEDDER)).onnx, EMBEDDER);
    expect(await sha256Hex(init(onnx, 'tokens.q'))).toBe(await sha256Hex(new Uint8Array(emb.q.buffer, emb.q.byteOffset, emb.q.byteLength)));
    expect(await sha256Hex(init(onnx, 'tokens.scale'))).toBe(await sha256Hex(new Uint8Array(emb.scale.buffer, emb.scale.byteOffset, emb.scale.byteLength)));
  });

  it('gives the same logits in onnxruntime-node, onnxruntime-web and transformers.js (text_pair)', async () => {
    const queries = EXAMPLES.flatMap((e) => [e.relevant, ...e.others].map(() => e.query));
    const passages = EXAMPLES.flatMap((e) => [e.relevant, ...e.others].map(passage));
    queries.push('', 'x', 'long query '.repeat(80));
    passages.push('some passage', '', passage('policies#shipping'));
    const node = new Float32Array(queries.length);
    for (let i = 0; i < queries.length; i++) node.set(await ce.score(queries[i], [passages[i]]), i);

    ortWeb.env.wasm.numThreads = 1;
    const folder = await loadModelFolder(RERANKER);
    const webSession = (await ortWeb.InferenceSession.create(folder.onnx, { executionProviders: ['wasm'] })) as unknown as OrtSession;
    const web = new CrossEncoder(folder.tokenizer, webSession, ortWeb.Tensor as unknown as OrtTensorConstructor);

    hfEnv.allowRemoteModels = false;
    hfEnv.localModelPath = DIR;
    hfEnv.useFSCache = false;
    const tok = await AutoTokenizer.from_pretrained('reranker');
    const model = await AutoModelForSequenceClassification.from_pretrained('reranker', { dtype: 'q8' });
    const out = await model(tok(queries, { text_pair: passages, padding: true, truncation: true }));
    expect(out.logits.dims).toEqual([queries.length, 1]);
    const hf = out.logits.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < queries.length; i++) {
      const w = await web.score(queries[i], [passages[i]]);
      maxDiff = Math.max(maxDiff, Math.abs(node[i] - hf[i]), Math.abs(node[i] - w[0]));
    }
    expect(maxDiff).toBeLessThan(1e-4);
    // Batched (padded) scoring agrees with one-by-one scoring.
    const batched = await ce.score(EXAMPLES[0].query, [EXAMPLES[0].relevant, ...EXAMPLES[0].others].map(passage));
    batched.forEach((v, i) => expect(Math.abs(v - node[i])).toBeLessThan(1e-4));
  });

  it('scores a relevant store passage above clearly irrelevant ones', async () => {
    for (const e of EXAMPLES) {
      const [rel, ...rest] = await ce.score(e.query, [e.relevant, ...e.others].map(passage));
      for (const r of rest) expect(rel, e.query).toBeGreaterThan(r + 0.5);
    }
    // Another volume of the same series loses to the asked-for one.
    const [v15, v1] = await ce.score('can I preorder frieren volume 15', [passage('KB-SKU-0029'), passage('KB-SKU-0023')]);
    expect(v15).toBeGreaterThan(v1);
  });

  it('matches its TypeScript reference (the math it was trained with)', async () => {
    const f = await loadModelFolder(RERANKER);
    const weights = weightsFromFolder(f.onnx, f.config);
    for (const e of EXAMPLES) {
      const texts = [e.relevant, ...e.others].map(passage);
      const got = await ce.score(e.query, texts);
      texts.forEach((t, i) => expect(Math.abs(got[i] - referenceLogit(weights, f.tokenizer, e.query, t))).toBeLessThan(1e-3));
    }
  });

  it('re-exporting the committed weights reproduces the committed ONNX byte for byte', async () => {
    const f = await loadModelFolder(RERANKER);
    const rebuilt = buildRerankerOnnx(weightsFromFolder(f.onnx, f.config));
    expect(await sha256Hex(rebuilt)).toBe(f.manifest.files['onnx/model_quantized.onnx']);
  });

  it('handles hostile input without crashing and rejects non-strings with a code', async () => {
    const scores = await ce.score('where is my order', HOSTILE);
    expect(scores).toHaveLength(HOSTILE.length);
    expect([...scores].every(Number.isFinite)).toBe(true);
    for (const q of HOSTILE) expect([...(await ce.score(q, ['Shipping costs $4.99', '']))].every(Number.isFinite)).toBe(true);
    expect(await ce.score('anything', [])).toHaveLength(0);
    await expect(ce.score(42 as unknown as string, ['x'])).rejects.toMatchObject({ code: 'RERANK_BAD_INPUT' });
    await expect(ce.score('q', ['ok', null as unknown as string])).rejects.toBeInstanceOf(CrossEncoderInputError);
  });
});

describe('reranker training', () => {
  it('is deterministic: the same data and seed give the same bytes', async () => {
    const emb = await loadEmbedderTable(EMBEDDER);
    const passages = [...storeKbPassages().filter((p) => p.id.startsWith('KB-SKU-')).slice(0, 60), ...policySections()];
    const ids = new Set(passages.map((p) => p.id));
    const queries = catalogQueries(3).filter((q) => q.relevant.every((id) => ids.has(id))).slice(0, 60);
    const small = { maxLength: 128, candidates: 10, gammas: [1], pieceFactors: [1], k1s: [1.2], bs: [0.75], iterations: 60 };
    const sets = [{ name: 'store-small', passages, queries, weight: 1 }];
    const idfTexts = passages.map((p) => p.text);
    const a = await trainReranker(emb, sets, idfTexts, small);
    const b = await trainReranker(emb, sets, idfTexts, small);
    expect(await sha256Hex(a.onnx)).toBe(await sha256Hex(b.onnx));
    expect(a.trainingDataSha256).toBe(b.trainingDataSha256);
    const c = await trainReranker(emb, sets, idfTexts, { ...small, iterations: 30 });
    expect(await sha256Hex(c.onnx)).not.toBe(await sha256Hex(a.onnx));
    // It learned something: relevant passages rank well on its own training queries.
    expect(a.chosen.valNdcg10).toBeGreaterThan(0.5);
  });
});

describe('rerank metrics', () => {
  it('computes nDCG@10, recall@5 and MRR before and after reranking', async () => {
    expect(ndcgAt(['a', 'b', 'c'], new Set(['a']))).toBe(1);
    expect(ndcgAt(['b', 'a'], new Set(['a']))).toBeCloseTo(1 / Math.log2(3), 10);
    // A relevant id missing from the list still counts in the ideal DCG.
    expect(ndcgAt(['a'], new Set(['a', 'z']))).toBeCloseTo(1 / (1 + 1 / Math.log2(3)), 10);
    const m = rankMetrics([['x', 'y', 'a'], ['b']], [['a'], ['c']]);
    expect(m.mrr).toBeCloseTo((1 / 3 + 0) / 2, 10);
    expect(m.recall5).toBeCloseTo(0.5, 10);
    expect(orderByScore([{ id: 'p', text: '' }, { id: 'q', text: '' }, { id: 'r', text: '' }], [1, 3, 1])).toEqual(['q', 'p', 'r']);
    const res = await evaluateRerank(
      [{ question: 'q', relevant: ['c'], candidates: ['a', 'b', 'c'].map((id) => ({ id, text: id })) }],
      async (_q, texts) => texts.map((t) => (t === 'c' ? 1 : 0)),
    );
    expect(res.candidates.mrr).toBeCloseTo(1 / 3, 10);
    expect(res.reranked).toMatchObject({ ndcg10: 1, recall5: 1, mrr: 1, questions: 1 });
  });
});

/** The reranker weights stored in a folder's ONNX initializers and config.json. */
function weightsFromFolder(onnx: Uint8Array, config: Record<string, any>): RerankerWeights {
  const inits = decodeModel(onnx).graph!.initializer!;
  const raw = (name: string) => {
    const t = inits.find((x) => x.name === name);
    if (!t?.rawData) throw new Error(`initializer ${name} missing`);
    return { dims: t.dims!.map(Number), bytes: t.rawData.slice() };
  };
  const f32 = (name: string) => {
    const r = raw(name).bytes;
    return new Float32Array(r.buffer, r.byteOffset, r.byteLength / 4);
  };
  const q = raw('tokens.q');
  const [rows, dim] = q.dims;
  const lastSpecial = raw('last_special_id').bytes;
  const s = config.switchyard;
  expect(s.features).toEqual([...FEATURES]);
  return {
    table: {
      rows,
      dim,
      q: new Int8Array(q.bytes.buffer, q.bytes.byteOffset, q.bytes.byteLength),
      scale: f32('tokens.scale'),
      unitScale: f32('tokens.unit_scale'),
      lastSpecialId: Number(new DataView(lastSpecial.buffer, lastSpecial.byteOffset).getBigInt64(0, true)),
    },
    weight: f32('tokens.weight'),
    bm25: s.bm25,
    coef: f32('head.weight'),
    bias: f32('head.bias')[0],
  };
}
