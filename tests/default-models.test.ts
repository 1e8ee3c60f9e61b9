import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForSequenceClassification, AutoTokenizer, env as hfEnv, pipeline } from '@huggingface/transformers';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntentClassifier } from '../shared/models/intent-classifier.ts';
import { ModelIntegrityError, type ModelManifest } from '../shared/models/manifest.ts';
import type { OrtSession, OrtTensorConstructor } from '../shared/models/onnx-session.ts';
import { cosine } from '../shared/models/sentence-embedder.ts';
import { repoRoot } from '../models/pipeline/datasets.ts';
import { storeIntents } from '../models/pipeline/store-data.ts';
import { loadIntentClassifier, loadModelFolder, loadSentenceEmbedder } from '../regional/src/inference/load-node.ts';

const DIR = join(repoRoot(), 'models', 'default');
const INTENT = join(DIR, 'store-intent');
const EMBEDDER = join(DIR, 'embedder');

const BAD_INPUTS = [
  '',
  ' ',
  'where is my order '.repeat(6000),
  '\u0000\u0001\u0002\u0007\u001b[31m',
  '📦📦📦 🚚 ✨',
  '東京の本屋さんで漫画を買いました',
  'Привет, где мой заказ?',
  '[SEP][CLS][PAD]',
  '\ud83d',
];

describe('default models', () => {
  let clf: Awaited<ReturnType<typeof loadIntentClassifier>>;
  let tmp = '';

  beforeAll(async () => {
    clf = await loadIntentClassifier(INTENT);
    tmp = await mkdtemp(join(tmpdir(), 'switchyard-models-'));
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('are small and their manifests describe them', async () => {
    let total = 0;
    for (const dir of [INTENT, EMBEDDER]) {
      const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
      expect(Object.keys(m.files).sort()).toEqual(['config.json', 'onnx/model_quantized.onnx', 'tokenizer.json', 'tokenizer_config.json']);
      expect(m.sizeBytes).toBeGreaterThan(1_000_000);
      expect(m.version).toMatch(/^\d+\.\d+\.\d+$/);
      total += m.sizeBytes;
    }
    const onnx = await readFile(join(INTENT, 'onnx', 'model_quantized.onnx'));
    expect(onnx.byteLength).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(total).toBeLessThan(15 * 1024 * 1024);
  });

  it('classifies the store test split well enough to route on', async () => {
    const test = storeIntents().test;
    const preds = await clf.classify(test.map((e) => e.text));
    const correct = preds.filter((p, i) => p.intent === test[i].label).length;
    expect(correct / test.length).toBeGreaterThan(0.75);
    const confident = preds.map((p, i) => ({ p, gold: test[i].label })).filter((x) => x.p.confident);
    expect(confident.length).toBeGreaterThan(test.length * 0.2);
    expect(confident.filter((x) => x.p.intent === x.gold).length / confident.length).toBeGreaterThan(0.93);
  });

  it('refuses a tampered model file with a clear error', async () => {
    const copy = join(tmp, 'tampered');
    await cp(INTENT, copy, { recursive: true });
    const onnxPath = join(copy, 'onnx', 'model_quantized.onnx');
    const bytes = new Uint8Array(await readFile(onnxPath));
    bytes[bytes.length - 100] ^= 0xff;
    await writeFile(onnxPath, bytes);
    await expect(loadIntentClassifier(copy)).rejects.toThrow(ModelIntegrityError);
    await expect(loadIntentClassifier(copy)).rejects.toThrow(/sha256 mismatch for onnx\/model_quantized\.onnx/);
    const intact = join(tmp, 'intact');
    await cp(INTENT, intact, { recursive: true });
    await expect(loadIntentClassifier(intact)).resolves.toBeDefined();
  });

  it('gives a valid prediction for hostile input, never a crash', async () => {
    const preds = await clf.classify(BAD_INPUTS);
    expect(preds).toHaveLength(BAD_INPUTS.length);
    for (const p of preds) {
      expect(clf.labels).toContain(p.intent);
      expect(p.confidence).toBeGreaterThan(0);
      expect(p.confidence).toBeLessThanOrEqual(1);
    }
    const emb = await loadSentenceEmbedder(EMBEDDER);
    for (const v of await emb.embed(BAD_INPUTS)) expect(v.every(Number.isFinite)).toBe(true);
  });

  it('gives the same logits through onnxruntime-node, onnxruntime-web and transformers.js', async () => {
    const texts = storeIntents().test.slice(0, 40).map((e) => e.text);
    const node = await clf.logits(texts);

    ortWeb.env.wasm.numThreads = 1;
    const folder = await loadModelFolder(INTENT);
    const webSession = (await ortWeb.InferenceSession.create(folder.onnx, { executionProviders: ['wasm'] })) as unknown as OrtSession;
    const web = new IntentClassifier(folder.tokenizer, webSession, ortWeb.Tensor as unknown as OrtTensorConstructor, clf.labels, clf.calibration);
    const webLogits = await web.logits(texts);

    hfEnv.allowRemoteModels = false;
    hfEnv.localModelPath = DIR;
    hfEnv.useFSCache = false;
    const tok = await AutoTokenizer.from_pretrained('store-intent');
    const model = await AutoModelForSequenceClassification.from_pretrained('store-intent', { dtype: 'q8' });
    const out = await model(tok(texts, { padding: true, truncation: true }));
    const C = clf.labels.length;
    const hf = out.logits.data as Float32Array;
    let maxDiff = 0;
    texts.forEach((_, b) => {
      for (let c = 0; c < C; c++) {
        maxDiff = Math.max(maxDiff, Math.abs(node[b][c] - webLogits[b][c]), Math.abs(node[b][c] - hf[b * C + c]));
      }
    });
    expect(maxDiff).toBeLessThan(1e-4);

    const classify = await pipeline('text-classification', 'store-intent', { dtype: 'q8' });
    const [top] = (await classify('where is my order KB-48213, it has not arrived')) as Array<{ label: string }>;
    expect(top.label).toBe((await clf.classify(['where is my order KB-48213, it has not arrived']))[0].topLabel);
  });

  it('embeds paraphrases closer than unrelated text, in transformers.js too', async () => {
    const emb = await loadSentenceEmbedder(EMBEDDER);
    const [a, b, c] = await emb.embed(['do you ship to alaska', 'can you deliver to alaska', 'my card was declined at checkout']);
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c) + 0.1);
    const fe = await pipeline('feature-extraction', 'embedder', { dtype: 'q8' });
    const t = await fe(['do you ship to alaska'], { pooling: 'mean', normalize: true });
    expect(cosine(a, t.data as Float32Array)).toBeGreaterThan(0.9999);
  });
});
