/**
 * A classifier trained with several heads (ClassifierOptions.heads): the heads share one word
 * table, each keeps its own bigram and dense layers, the exported graph gives the reference
 * ensemble logits in onnxruntime-node, and the served classifier returns its probabilities.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { floatModelLogits } from '../models/pipeline/classifier.ts';
import { repoRoot } from '../models/pipeline/datasets.ts';
import { loadBaseVectors, trainIntentModel, type BaseVectors, type TrainedIntentModel } from '../models/pipeline/intent-model.ts';
import { classifierForward } from '../models/pipeline/onnx/reference.ts';
import { storeIntents } from '../models/pipeline/store-data.ts';

const TEXTS = ['where is my order 4411', 'do you ship to canada', 'recommend a manga like berserk', 'what is the capital of peru', 'hi'];

describe('intent classifier ensembles', () => {
  let base: BaseVectors;
  let two: TrainedIntentModel;
  let own: TrainedIntentModel;
  beforeAll(async () => {
    base = await loadBaseVectors(join(repoRoot(), 'models', 'default', 'embedder'));
    two = await trainIntentModel(storeIntents(), base, { heads: 2, epochs: 4, adaptEpochs: 2 });
    own = await trainIntentModel(storeIntents(), base, { heads: 2, epochs: 4, adaptEpochs: 0 });
  }, 120_000);

  it('shares one word table: the second head never moves a word row, and has its own bigram and dense layers', () => {
    const [a, b] = two.float.heads;
    expect(two.float.heads).toHaveLength(2);
    expect(Buffer.compare(Buffer.from(a.words.buffer), Buffer.from(b.words.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(a.bigrams.buffer), Buffer.from(b.bigrams.buffer))).not.toBe(0);
    expect(Buffer.compare(Buffer.from(a.outW.buffer), Buffer.from(b.outW.buffer))).not.toBe(0);
    expect(two.weights.heads).toHaveLength(2);
    expect(two.calibration.headTemperatures).toHaveLength(2);
    expect(two.weights.logitScale).toBeCloseTo(1 / two.calibration.temperature, 10);
  });

  it('with adaptEpochs 0 each head keeps its own int8 word rows; the 4-bit rows are stored once', () => {
    const words = own.weights.words;
    if (!('n8' in words)) throw new Error('expected a mixed word table');
    const mine = own.weights.heads[1].words!;
    expect(mine.q8).toHaveLength(words.n8 * words.dim);
    expect(Buffer.compare(Buffer.from(mine.q8.buffer), Buffer.from(words.q8.buffer))).not.toBe(0);
    expect(own.weights.heads[0].words).toBeUndefined();
    expect(two.weights.heads[1].words).toBeUndefined();
    // The extra bytes are the second head's int8 rows and their scales, not a second table.
    const extra = own.onnx.byteLength - two.onnx.byteLength;
    const rows = words.n8 * (words.dim + 4);
    expect(extra).toBeGreaterThan(rows);
    expect(extra).toBeLessThan(rows * 1.01 + 2_000);
  });

  for (const kind of ['shared', 'own'] as const)
  it(`the exported graph gives the reference ensemble logits (${kind} word rows), and quantization stays near the float model`, async () => {
    const m = kind === 'shared' ? two : own;
    const session = await ort.InferenceSession.create(m.onnx);
    for (const text of TEXTS) {
      const ids = base.tokenizer.encode(text);
      const feeds = Object.fromEntries(
        ['input_ids', 'attention_mask', 'token_type_ids'].map((n, k) => [n, new ort.Tensor('int64', BigInt64Array.from(ids, (id) => BigInt(k === 0 ? id : k === 1 ? 1 : 0)), [1, ids.length])]),
      );
      const got = Array.from((await session.run(feeds)).logits.data as Float32Array);
      const want = classifierForward(m.weights, [ids], [ids.map(() => 1)])[0];
      expect(Math.max(...got.map((v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-4);
      // softmax(logits) is a mean of probabilities: it sums to 1 without renormalising.
      expect(want.reduce((s, l) => s + Math.exp(l * m.calibration.temperature), 0)).toBeCloseTo(1, 4);
      const float = floatModelLogits(m.float, ids);
      expect(float.indexOf(Math.max(...float))).toBe(want.indexOf(Math.max(...want)));
    }
    await session.release();
  });

  it('serves through IntentClassifier like a one-head model, with a valid confidence', async () => {
    const preds = await two.classifier.classify(TEXTS);
    for (const p of preds) {
      expect(two.labels).toContain(p.topLabel);
      expect(p.confidence).toBeGreaterThan(0);
      expect(p.confidence).toBeLessThanOrEqual(1);
    }
    expect(preds[0].topLabel).toBe('order_status');
  });

  it('refuses a head count that is not a positive integer', async () => {
    for (const heads of [0, 1.5, -1]) await expect(trainIntentModel(storeIntents(), base, { heads, epochs: 1 })).rejects.toThrow(/heads must be a positive integer/);
  });
});
