import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Hex, type ModelManifest } from '../shared/models/manifest.ts';
import { repoRoot } from '../models/pipeline/datasets.ts';
import { buildDefaultEmbedder } from '../models/pipeline/default-embedder.ts';
import { unsupervisedBaseVectors } from '../models/pipeline/base-vectors.ts';
import { trainIntentModel } from '../models/pipeline/intent-model.ts';
import { STORE_CLASSIFIER, storeIntents, storeTexts } from '../models/pipeline/store-data.ts';

const DIR = join(repoRoot(), 'models', 'default');
const manifest = async (name: string) =>
  JSON.parse(await readFile(join(DIR, name, 'manifest.json'), 'utf8')) as ModelManifest;

describe('deterministic builds', () => {
  it('the same data and seed give the same classifier bytes, the committed ones; another seed differs', async () => {
    const base = await unsupervisedBaseVectors(); // rebuilt from GloVe, as models:build does
    const ds = storeIntents();
    const rows = storeTexts(); // the word rows models:build keeps
    const a = await trainIntentModel(ds, base, { ...STORE_CLASSIFIER, seed: 42 }, rows);
    const b = await trainIntentModel(ds, base, { ...STORE_CLASSIFIER, seed: 42 }, rows);
    const c = await trainIntentModel(ds, base, { ...STORE_CLASSIFIER, seed: 7 }, rows);
    const [ha, hb, hc] = await Promise.all([a.onnx, b.onnx, c.onnx].map(sha256Hex));
    expect(ha).toBe(hb);
    expect(hc).not.toBe(ha);
    expect(ha).toBe((await manifest('store-intent')).files['onnx/model_quantized.onnx']);
  }, 300_000);

  it('rebuilding the embedder from GloVe (the supervised recipe) reproduces the committed file', async () => {
    const built = await buildDefaultEmbedder();
    const m = await manifest('embedder');
    expect(await sha256Hex(built.onnx)).toBe(m.files['onnx/model_quantized.onnx']);
    expect(built.corpusSha).toBe(m.trainingDataSha256);
  }, 900_000);
});
