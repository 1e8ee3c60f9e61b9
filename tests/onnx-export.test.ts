import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  AutoModel,
  AutoModelForSequenceClassification,
  AutoTokenizer,
  Tensor as HfTensor,
  env as hfEnv,
  pipeline,
} from '@huggingface/transformers';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  bertTokenizerConfig,
  classifierConfig,
  embedderConfig,
  ONNX_Q8_PATH,
  writeHfModelFolder,
} from '../models/pipeline/hf-folder.ts';
import { buildClassifierOnnx } from '../models/pipeline/onnx/classifier-graph.ts';
import { buildEmbedderOnnx } from '../models/pipeline/onnx/embedder-graph.ts';
import { decodeModel } from '../models/pipeline/onnx/proto.ts';
import { embedderTableFromOnnx } from '../models/pipeline/onnx/embedder-table.ts';
import { classifierForward, embedderForward } from '../models/pipeline/onnx/reference.ts';
import { mulberry32 } from '../models/pipeline/datasets.ts';
import { dequantizeColumns, dequantizeMixed, quantizeColumns, quantizeMixed, quantizeRows } from '../models/pipeline/quantize.ts';
import { tokenizerJson as productTokenizerJson } from '../models/pipeline/vocab.ts';
import type { ClassifierWeights, EmbedderWeights, MixedTable } from '../models/pipeline/types.ts';

// ---------------------------------------------------------------------------------------------
// Fixtures

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS = [
  'the', 'a', 'to', 'i', 'my', 'is', 'what', 'how', 'please', 'can', 'you', 'book', 'flight', 'hotel',
  'weather', 'today', 'tomorrow', 'in', 'for', 'me', 'cancel', 'order', 'play', 'music', 'set', 'alarm',
  'timer', 'call', 'mom', 'transfer', 'money', 'balance', 'check', 'reset', 'password', 'card', 'lost',
  'help', 'new', 'york', 'paris', '##s', '##ing', '##ed', '?',
];
const VOCAB = [...SPECIALS, ...WORDS];
const V = VOCAB.length; // 50
const D = 8;
const DB = 4;
const NB = 64;
const LABELS = ['book_flight', 'weather', 'cancel', 'music', 'oos'];
const C = LABELS.length;
const HIDDEN = 6;
const PRIME = 1_000_003;

function randomTable(rand: () => number, rows: number, dim: number, zeroRows: number[] = []) {
  const v = Float32Array.from({ length: rows * dim }, () => rand() * 2 - 1);
  for (const r of zeroRows) v.fill(0, r * dim, (r + 1) * dim);
  return quantizeRows(v, rows, dim);
}
const randomVec = (rand: () => number, n: number, s = 0.5) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * s);

function makeEmbedder(seed: number): EmbedderWeights {
  // Special-token rows are zero, as in the real embedder.
  return { table: randomTable(mulberry32(seed), V, D, [0, 1, 2, 3, 4]) };
}

/** The committed recipe's layout: every row 4-bit (a MixedTable whose int8 part is one zero row). */
function makeEmbedder4(seed: number): EmbedderWeights {
  const t = makeEmbedder(seed).table as ReturnType<typeof quantizeRows>;
  return { table: quantizeMixed(Float32Array.from(t.q, (v, k) => v * t.scale[Math.floor(k / D)]), V, D, () => false) };
}

type Kind = 'plain' | 'hidden' | 'mixed' | 'ensemble';
const KINDS: Kind[] = ['plain', 'hidden', 'mixed', 'ensemble'];
const SEEDS: Record<Kind, number> = { plain: 11, hidden: 13, mixed: 17, ensemble: 19 };

/**
 * 'mixed': hidden layer and a word table with int8 rows for ids divisible by 3, 4-bit rows
 * otherwise. 'ensemble': that word table shared by three heads (bigram tables of different sizes,
 * one head without a hidden layer) averaged in probability and sharpened by a logit scale.
 */
function makeClassifier(seed: number, kind: Kind): ClassifierWeights {
  const rand = mulberry32(seed);
  const words =
    kind === 'mixed' || kind === 'ensemble'
      ? quantizeMixed(Float32Array.from({ length: V * D }, () => rand() * 2 - 1), V, D, (r) => r % 3 === 0)
      : randomTable(rand, V, D);
  const z = D + DB;
  const head = (hidden: boolean, buckets: number) => {
    const bigrams = randomTable(rand, buckets, DB);
    const h = hidden ? { w: quantizeColumns(randomVec(rand, z * HIDDEN), z, HIDDEN), b: randomVec(rand, HIDDEN), size: HIDDEN } : undefined;
    const inDim = h ? HIDDEN : z;
    return { bigrams, hidden: h, out: { w: quantizeColumns(randomVec(rand, inDim * C, 2), inDim, C), b: randomVec(rand, C) } };
  };
  if (kind === 'ensemble') {
    // The third head has its own int8 word rows (the 4-bit rows stay shared).
    const n8 = (words as MixedTable).n8;
    const own = { q8: Int8Array.from({ length: n8 * D }, () => Math.round(rand() * 254 - 127)), scale8: randomVec(rand, n8, 0.02).map(Math.abs) };
    return { words, bigramPrime: PRIME, heads: [head(true, NB), head(false, NB - 3), { ...head(true, NB + 5), words: own }], logitScale: 1.7, labels: LABELS };
  }
  return { words, bigramPrime: PRIME, heads: [head(kind !== 'plain', NB)], labels: LABELS };
}

function tokenizerJson() {
  return productTokenizerJson(VOCAB.map((token) => ({ token })));
}

const id = (tok: string) => {
  const i = VOCAB.indexOf(tok);
  if (i < 0) throw new Error(tok);
  return i;
};

/** A padded batch (ids, mask) of token sequences wrapped in [CLS] ... [SEP]. */
function batchOf(seqs: string[][]): { ids: number[][]; mask: number[][] } {
  const rows = seqs.map((s) => [2, ...s.map(id), 3]);
  const T = Math.max(...rows.map((r) => r.length));
  return {
    ids: rows.map((r) => [...r, ...new Array<number>(T - r.length).fill(0)]),
    mask: rows.map((r) => [...r.map(() => 1), ...new Array<number>(T - r.length).fill(0)]),
  };
}

const PADDED = batchOf([
  ['book', 'a', 'flight', 'to', 'new', 'york', 'for', 'tomorrow'],
  ['weather', 'today'],
  ['play', 'music', 'please', '?'],
]);
/** Length-1 inputs (no bigrams), including a fully masked row. */
const LENGTH1 = { ids: [[id('flight')], [id('music')]], mask: [[1], [0]] };
const LENGTH1_SINGLE = { ids: [[id('weather')]], mask: [[1]] };
const CASES = { padded: PADDED, length1: LENGTH1, length1Single: LENGTH1_SINGLE };

// ---------------------------------------------------------------------------------------------
// Runners

type Feeds = { ids: number[][]; mask: number[][] };
type Runner = (bytes: Uint8Array, feeds: Feeds, output: string) => Promise<{ data: Float32Array; dims: readonly number[] }>;

const int64 = (a: number[][]) => BigInt64Array.from(a.flat(), (v) => BigInt(v));

function ortRunner(ort: typeof ortNode | typeof ortWeb, sessionOptions: object): Runner {
  const cache = new Map<Uint8Array, Promise<ortNode.InferenceSession>>();
  return async (bytes, { ids, mask }, output) => {
    if (!cache.has(bytes)) cache.set(bytes, ort.InferenceSession.create(bytes, sessionOptions) as Promise<ortNode.InferenceSession>);
    const session = await cache.get(bytes)!;
    const dims = [ids.length, ids[0].length];
    const T = ort.Tensor as typeof ortNode.Tensor;
    const out = await session.run({
      input_ids: new T('int64', int64(ids), dims),
      attention_mask: new T('int64', int64(mask), dims),
      token_type_ids: new T('int64', new BigInt64Array(dims[0] * dims[1]), dims),
    });
    return { data: out[output].data as Float32Array, dims: out[output].dims };
  };
}

function maxAbsDiff(got: ArrayLike<number>, want: number[]): number {
  expect(got.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
  return m;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

const TOL = 1e-4;

// ---------------------------------------------------------------------------------------------

describe('ONNX export', () => {
  const embedder = makeEmbedder(7);
  const classifiers = Object.fromEntries(KINDS.map((k) => [k, makeClassifier(SEEDS[k], k)])) as Record<Kind, ClassifierWeights>;
  const embedderBytes = buildEmbedderOnnx(embedder);
  const embedder4 = makeEmbedder4(7);
  const embedder4Bytes = buildEmbedderOnnx(embedder4);
  const classifierBytes = Object.fromEntries(KINDS.map((k) => [k, buildClassifierOnnx(classifiers[k])])) as Record<Kind, Uint8Array>;

  let root = '';
  const runners: Record<string, Runner> = {};

  beforeAll(async () => {
    ortWeb.env.wasm.numThreads = 1;
    ortWeb.env.wasm.proxy = false;
    runners['onnxruntime-node'] = ortRunner(ortNode, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    runners['onnxruntime-web'] = ortRunner(ortWeb, { executionProviders: ['wasm'] });

    root = await mkdtemp(join(tmpdir(), 'switchyard-onnx-'));
    const tok = tokenizerJson();
    await writeHfModelFolder(join(root, 'embedder'), {
      onnx: embedderBytes,
      config: embedderConfig(D, V),
      tokenizerJson: tok,
      tokenizerConfig: bertTokenizerConfig(),
    });
    await writeHfModelFolder(join(root, 'embedder-4bit'), {
      onnx: embedder4Bytes,
      config: embedderConfig(D, V),
      tokenizerJson: tok,
      tokenizerConfig: bertTokenizerConfig(),
    });
    for (const kind of KINDS) {
      await writeHfModelFolder(join(root, `classifier-${kind}`), {
        onnx: classifierBytes[kind],
        config: classifierConfig(LABELS, V, D),
        tokenizerJson: tok,
        tokenizerConfig: bertTokenizerConfig(),
      });
    }
    hfEnv.allowRemoteModels = false;
    hfEnv.allowLocalModels = true;
    hfEnv.localModelPath = root;
    hfEnv.useFSCache = false;

    // transformers.js model (not pipeline) runs the exact id batches, including length 1.
    const hfModels = new Map<Uint8Array, Promise<(inputs: Record<string, HfTensor>) => Promise<Record<string, HfTensor>>>>();
    const folderOf = new Map<Uint8Array, string>([
      [embedderBytes, 'embedder'],
      [embedder4Bytes, 'embedder-4bit'],
      [classifierBytes.plain, 'classifier-plain'],
      [classifierBytes.hidden, 'classifier-hidden'],
      [classifierBytes.mixed, 'classifier-mixed'],
      [classifierBytes.ensemble, 'classifier-ensemble'],
    ]);
    runners['transformers.js'] = async (bytes, { ids, mask }, output) => {
      if (!hfModels.has(bytes)) {
        const name = folderOf.get(bytes)!;
        const Auto = name.startsWith('embedder') ? AutoModel : AutoModelForSequenceClassification;
        hfModels.set(
          bytes,
          Auto.from_pretrained(name, { dtype: 'q8' }).then((m) => (x: Record<string, HfTensor>) => m(x)),
        );
      }
      const model = await hfModels.get(bytes)!;
      const dims = [ids.length, ids[0].length];
      const out = await model({
        input_ids: new HfTensor('int64', int64(ids), dims),
        attention_mask: new HfTensor('int64', int64(mask), dims),
        token_type_ids: new HfTensor('int64', new BigInt64Array(dims[0] * dims[1]), dims),
      });
      return { data: out[output].data as Float32Array, dims: out[output].dims };
    };
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('writes the folder layout transformers.js expects', async () => {
    const cfg = JSON.parse(await readFile(join(root, 'classifier-plain', 'config.json'), 'utf8'));
    expect(cfg.model_type).toBe('bert');
    expect(cfg.id2label['4']).toBe('oos');
    expect(cfg.label2id.oos).toBe(4);
    const onnxFile = await readFile(join(root, 'embedder', ONNX_Q8_PATH));
    expect(Buffer.compare(onnxFile, Buffer.from(embedderBytes))).toBe(0);
  });

  it('declares opset 17, IR 8, producer switchyard and symbolic batch/sequence dims', () => {
    const m = decodeModel(classifierBytes.plain);
    expect(Number(m.irVersion)).toBe(8);
    expect(m.producerName).toBe('switchyard');
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    const g = m.graph!;
    expect(g.input!.map((i) => i.name)).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(g.input![0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam)).toEqual(['batch', 'sequence']);
    expect(g.output!.map((o) => o.name)).toEqual(['logits']);
    const e = decodeModel(embedderBytes).graph!;
    expect(e.output!.map((o) => o.name)).toEqual(['last_hidden_state', 'sentence_embedding']);
    // Rows are gathered in int8 before the Cast (no whole-table dequantization).
    const gather = e.node!.find((n) => n.opType === 'Gather' && n.input![0] === 'embeddings.q');
    expect(gather).toBeDefined();
    expect(e.node!.find((n) => n.opType === 'Cast' && n.input![0] === 'embeddings.q')).toBeUndefined();
  });

  it('mixed word table: int8 rows where asked, 4-bit rows elsewhere, each within half a step', () => {
    const rand = mulberry32(5);
    const values = Float32Array.from({ length: V * D }, () => rand() * 2 - 1);
    const t = quantizeMixed(values, V, D, (r) => r < 10);
    expect([t.n8, t.n4]).toEqual([10, V - 10]);
    expect(t.q4.length).toBe(((V - 10) * D) / 2);
    const back = dequantizeMixed(t);
    for (let r = 0; r < V; r++) {
      const step = t.scale[r];
      expect(step).toBeCloseTo(Math.max(...values.subarray(r * D, (r + 1) * D).map(Math.abs)) / (r < 10 ? 127 : 7), 6);
      for (let d = 0; d < D; d++) expect(Math.abs(back[r * D + d] - values[r * D + d])).toBeLessThanOrEqual(step / 2 + 1e-7);
    }
    // Every row in one precision still gives two non-empty tables.
    const all8 = quantizeMixed(values, V, D, () => true);
    expect([all8.n8, all8.n4]).toEqual([V, 1]);
    expect(Array.from(dequantizeMixed(all8))).toEqual(Array.from(dequantizeMixed(quantizeMixed(values, V, D, () => true))));
    const m = decodeModel(classifierBytes.mixed).graph!;
    const q4 = m.initializer!.find((x) => x.name === 'words.q4')!;
    expect(q4.dataType).toBe(2); // uint8, two codes a byte
    expect(m.initializer!.find((x) => x.name === 'words.q')).toBeUndefined();
    // Standard ops that onnxruntime-web's wasm build has.
    const allowed = new Set(['Gather', 'Cast', 'Mul', 'ReduceSum', 'Div', 'Max', 'Slice', 'Add', 'Mod', 'Concat', 'Gemm', 'Relu', 'Unsqueeze', 'Less', 'Where', 'Sub', 'Reshape']);
    expect(m.node!.map((n) => n.opType).filter((op) => !allowed.has(op!))).toEqual([]);
  });

  it('stores dense layers as int8 with one scale per output column, within half a step of the float weights', () => {
    const rand = mulberry32(5);
    const w = randomVec(rand, 12 * 7, 3);
    for (let i = 0; i < 12; i++) w[i * 7 + 4] = 0; // an all-zero column
    const m = quantizeColumns(w, 12, 7);
    expect([m.rows, m.cols, m.q.length, m.scale.length]).toEqual([12, 7, 84, 7]);
    expect(m.scale[4]).toBe(0);
    const back = dequantizeColumns(m);
    for (let k = 0; k < w.length; k++) expect(Math.abs(back[k] - w[k])).toBeLessThanOrEqual(m.scale[k % 7] / 2 + 1e-7);
    expect(() => quantizeColumns(w, 12, 8)).toThrow(/shape/);
    const g = decodeModel(classifierBytes.hidden).graph!;
    const init = new Map(g.initializer!.map((x) => [x.name!, x]));
    for (const name of ['hidden.w.q', 'out.w.q']) expect(init.get(name)?.dataType).toBe(3); // int8
    expect(init.get('hidden.w.scale')?.dims?.map(Number)).toEqual([HIDDEN]);
    expect(init.has('hidden.w')).toBe(false);
  });

  it('an ensemble shares one word table (4-bit rows always) and stores each head\'s bigram and dense layers', () => {
    const g = decodeModel(classifierBytes.ensemble).graph!;
    const names = g.initializer!.map((x) => x.name!);
    expect(names.filter((n) => n.startsWith('words.')).sort()).toEqual(['words.n8', 'words.nibbles', 'words.q4', 'words.q8', 'words.row_shape', 'words.scale', 'words.slot', 'words.zero']);
    for (const k of [0, 1, 2]) expect(names).toEqual(expect.arrayContaining([`head${k}.bigrams.q`, `head${k}.out.w.q`, `head${k}.out.w.scale`]));
    expect(names.some((n) => n.startsWith('head1.hidden'))).toBe(false);
    expect(names.filter((n) => n.includes('.words.'))).toEqual(['head2.words.q8', 'head2.words.scale8']);
    const ops = new Set(g.node!.map((n) => n.opType));
    for (const op of ['Softmax', 'Add', 'Log']) expect(ops.has(op)).toBe(true);
    // No Sum: the WebGPU execution provider lacks it and would run it on the CPU (a GPU -> CPU sync per run).
    expect(ops.has('Sum')).toBe(false);
    // One head: no ensemble ops, the original tensor names.
    expect(decodeModel(classifierBytes.mixed).graph!.node!.some((n) => n.opType === 'Softmax')).toBe(false);
    expect(() => buildClassifierOnnx({ ...classifiers.ensemble, heads: [] })).toThrow(/at least one head/);
    expect(() => buildClassifierOnnx({ ...classifiers.ensemble, logitScale: 0 })).toThrow(/logitScale/);
    const badOwn = { ...classifiers.ensemble.heads[2], words: { q8: new Int8Array(3), scale8: new Float32Array(1) } };
    expect(() => buildClassifierOnnx({ ...classifiers.ensemble, heads: [classifiers.ensemble.heads[0], badOwn] })).toThrow(/head 1: words/);
    expect(() => buildClassifierOnnx({ ...classifiers.hidden, heads: [classifiers.hidden.heads[0], classifiers.ensemble.heads[2]] })).toThrow(/mixed/);
    const badHead = { ...classifiers.ensemble.heads[1], out: { w: { rows: 1, cols: 3, q: new Int8Array(3), scale: new Float32Array(3) }, b: new Float32Array(C) } };
    expect(() => buildClassifierOnnx({ ...classifiers.ensemble, heads: [classifiers.ensemble.heads[0], badHead] })).toThrow(/head 1: out/);
  });

  it('is deterministic: building twice gives byte-identical ONNX', () => {
    expect(Buffer.compare(Buffer.from(buildEmbedderOnnx(makeEmbedder(7))), Buffer.from(embedderBytes))).toBe(0);
    for (const kind of KINDS) {
      const again = buildClassifierOnnx(makeClassifier(SEEDS[kind], kind));
      expect(Buffer.compare(Buffer.from(again), Buffer.from(classifierBytes[kind]))).toBe(0);
    }
  });

  for (const runtime of ['onnxruntime-node', 'onnxruntime-web', 'transformers.js']) {
    describe(runtime, () => {
      for (const [caseName, feeds] of Object.entries(CASES)) {
        for (const kind of KINDS) {
          it(`classifier (${kind}) logits match the reference: ${caseName}`, async () => {
            const want = classifierForward(classifiers[kind], feeds.ids, feeds.mask);
            const got = await runners[runtime](classifierBytes[kind], feeds, 'logits');
            expect(got.dims).toEqual([feeds.ids.length, C]);
            expect(Array.from(got.data).every(Number.isFinite)).toBe(true);
            expect(maxAbsDiff(got.data, want.flat())).toBeLessThan(TOL);
          });
        }
        it(`embedder outputs match the reference: ${caseName}`, async () => {
          const want = embedderForward(embedder, feeds.ids, feeds.mask);
          const emb = await runners[runtime](embedderBytes, feeds, 'sentence_embedding');
          expect(emb.dims).toEqual([feeds.ids.length, D]);
          expect(Array.from(emb.data).every(Number.isFinite)).toBe(true);
          expect(maxAbsDiff(emb.data, want.sentenceEmbedding.flat())).toBeLessThan(TOL);
          const hidden = await runners[runtime](embedderBytes, feeds, 'last_hidden_state');
          expect(hidden.dims).toEqual([feeds.ids.length, feeds.ids[0].length, D]);
          expect(maxAbsDiff(hidden.data, want.lastHiddenState.flat(2))).toBeLessThan(TOL);
        });
        it(`4-bit embedder outputs match the reference: ${caseName}`, async () => {
          const want = embedderForward(embedder4, feeds.ids, feeds.mask);
          const emb = await runners[runtime](embedder4Bytes, feeds, 'sentence_embedding');
          expect(emb.dims).toEqual([feeds.ids.length, D]);
          expect(maxAbsDiff(emb.data, want.sentenceEmbedding.flat())).toBeLessThan(TOL);
          const hidden = await runners[runtime](embedder4Bytes, feeds, 'last_hidden_state');
          expect(maxAbsDiff(hidden.data, want.lastHiddenState.flat(2))).toBeLessThan(TOL);
        });
      }
    });
  }

  it('a 4-bit embedder is half the bytes of the int8 one, and reads back as exact int8 codes', () => {
    const rows = (t: { rows: number; dim: number; q: Int8Array; scale: Float32Array }) => Float32Array.from(t.q, (v, k) => v * t.scale[Math.floor(k / t.dim)]);
    const back = embedderTableFromOnnx(embedder4Bytes, 'test');
    expect(Array.from(rows(back))).toEqual(Array.from(dequantizeMixed(embedder4.table as MixedTable)));
    expect(back.q.every((v) => v >= -8 && v <= 7)).toBe(true);
    expect(Array.from(embedderTableFromOnnx(embedderBytes, 'test').q)).toEqual(Array.from((embedder.table as ReturnType<typeof quantizeRows>).q));
    const tableBytes = (onnx: Uint8Array) => decodeModel(onnx).graph!.initializer!.filter((t) => t.name!.startsWith('embeddings.q')).reduce((n, t) => n + t.rawData!.length, 0);
    expect(tableBytes(embedder4Bytes)).toBe((V * D) / 2 + D);
    expect(tableBytes(embedderBytes)).toBe(V * D);
  });

  describe('transformers.js pipelines', () => {
    const texts = ['Book a flight to New York for tomorrow', 'weather today', 'Play music please?', 'booking flights'];

    it('tokenizes like the fixture expects', async () => {
      const tok = await AutoTokenizer.from_pretrained('embedder');
      const enc = tok(texts.slice(0, 3), { padding: true });
      expect(enc.input_ids.tolist().map((r: bigint[]) => r.map(Number))).toEqual(PADDED.ids);
      expect(enc.attention_mask.tolist().map((r: bigint[]) => r.map(Number))).toEqual(PADDED.mask);
      expect(enc.token_type_ids).toBeDefined();
      expect(tok('booking flights').input_ids.tolist()[0].map(Number)).toEqual([2, id('book'), id('##ing'), id('flight'), id('##s'), 3]);
    });

    it('feature-extraction (mean pooling + normalize) agrees with sentence_embedding', async () => {
      const extractor = await pipeline('feature-extraction', 'embedder', { dtype: 'q8' });
      const pooled = await extractor(texts, { pooling: 'mean', normalize: true });
      expect(pooled.dims).toEqual([texts.length, D]);
      const tok = await AutoTokenizer.from_pretrained('embedder');
      const enc = tok(texts, { padding: true });
      const ids = enc.input_ids.tolist().map((r: bigint[]) => r.map(Number));
      const mask = enc.attention_mask.tolist().map((r: bigint[]) => r.map(Number));
      const ours = await runners['onnxruntime-node'](embedderBytes, { ids, mask }, 'sentence_embedding');
      const ref = embedderForward(embedder, ids, mask).sentenceEmbedding;
      const data = pooled.data as Float32Array;
      for (let b = 0; b < texts.length; b++) {
        const p = data.subarray(b * D, (b + 1) * D);
        expect(cosine(p, ours.data.subarray(b * D, (b + 1) * D))).toBeGreaterThan(0.9999);
        expect(cosine(p, ref[b])).toBeGreaterThan(0.9999);
      }
    });

    for (const kind of ['hidden', 'mixed', 'ensemble'] as const)
    it(`text-classification (${kind}) returns softmax of the reference logits with id2label names`, async () => {
      const classifier = await pipeline('text-classification', `classifier-${kind}`, { dtype: 'q8' });
      const tok = await AutoTokenizer.from_pretrained(`classifier-${kind}`);
      for (const text of texts) {
        const enc = tok(text);
        const ids = enc.input_ids.tolist().map((r: bigint[]) => r.map(Number));
        const logits = classifierForward(classifiers[kind], ids, ids.map((r: number[]) => r.map(() => 1)))[0];
        const mx = Math.max(...logits);
        const ex = logits.map((l) => Math.exp(l - mx));
        const sum = ex.reduce((a, v) => a + v, 0);
        const best = logits.indexOf(mx);
        const out = (await classifier(text)) as Array<{ label: string; score: number }>;
        expect(out[0].label).toBe(LABELS[best]);
        expect(Math.abs(out[0].score - ex[best] / sum)).toBeLessThan(TOL);
      }
    });
  });
});
