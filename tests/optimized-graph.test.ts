/**
 * The graph the edge loads (scripts/optimized-graph.ts): each default model's graph with
 * onnxruntime's optimisations applied at build time, run by the Worker's runtime (onnxruntime-web,
 * WASM, one thread) with its optimisers off, gives the same bits as the plain graph optimised at
 * load (what the Worker did before) for every training text of its pack (both packs' classifiers,
 * the shared embedder), through the edge's own tokenizer; it is a different graph (the optimisations were applied), and a rebuild reuses it.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web/wasm';
import { describe, expect, it } from 'vitest';
import { sha256File } from '../models/pipeline/content-files.ts';
import type { ModelManifest } from '../shared/models/manifest.ts';
import { folderOf, ONNX_PATH } from '../shared/models/model-folder.ts';
import { optimizedGraph } from '../scripts/optimized-graph.ts';

const root = process.cwd();
const textsOf = (pack: string) =>
  readFileSync(join(root, 'domains', pack, 'intents', 'train.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { text: string }).text);

function folder(dir: string) {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
  return folderOf(manifest, new Map(Object.keys(manifest.files).map((p) => [p, new Uint8Array(readFileSync(join(dir, p)))])));
}

describe.each([
  ['store classifier', join(root, 'models', 'default', 'store-intent'), 'kitsune-books'],
  ['embedder', join(root, 'models', 'default', 'embedder'), 'kitsune-books'],
  ['bank classifier', join(root, 'domains', 'bank-support', 'models', 'intent'), 'bank-support'],
])('the %s graph optimised at build time', (_role, dir, pack) => {
  it('gives the same outputs, bit for bit, on every training text of its pack with the optimisers off as the plain graph optimised at load', async () => {
    ort.env.wasm.numThreads = 1;
    const texts = textsOf(pack);
    const f = folder(dir);
    expect(f.preOptimized).toBe(false);
    const optimized = optimizedGraph(join(dir, ONNX_PATH));
    expect(optimized).not.toBeNull();
    expect(sha256File(optimized!)).not.toBe(sha256File(join(dir, ONNX_PATH)));
    const plain = await ort.InferenceSession.create(f.onnx, { graphOptimizationLevel: 'all', executionProviders: ['wasm'] });
    const pre = await ort.InferenceSession.create(new Uint8Array(readFileSync(optimized!)), { graphOptimizationLevel: 'disabled', executionProviders: ['wasm'] });
    expect(pre.outputNames).toEqual(plain.outputNames);
    let values = 0;
    let differing = 0;
    for (let i = 0; i < texts.length; i += 32) {
      const enc = f.tokenizer.encodeBatch(texts.slice(i, i + 32));
      const shape = [enc.batch, enc.sequence];
      const feeds = { input_ids: new ort.Tensor('int64', enc.inputIds, shape), attention_mask: new ort.Tensor('int64', enc.attentionMask, shape), token_type_ids: new ort.Tensor('int64', enc.tokenTypeIds, shape) };
      const [a, b] = [await plain.run(feeds), await pre.run(feeds)];
      for (const name of plain.outputNames) {
        const bits = (t: ort.Tensor) => {
          const d = t.data as Float32Array;
          return new Uint32Array(d.buffer, d.byteOffset, d.length);
        };
        const [x, y] = [bits(a[name]), bits(b[name])];
        expect(y.length).toBe(x.length);
        values += x.length;
        for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) differing++;
      }
    }
    expect(texts.length).toBeGreaterThan(100);
    expect(values).toBeGreaterThan(texts.length);
    expect(differing).toBe(0);
    await Promise.all([plain.release(), pre.release()]);
  }, 120_000);

  it('is reused on a rebuild (cached by the plain graph\'s sha256 and the runtime version)', () => {
    const first = optimizedGraph(join(dir, ONNX_PATH))!;
    const mtime = statSync(first).mtimeMs;
    expect(optimizedGraph(join(dir, ONNX_PATH))).toBe(first);
    expect(statSync(first).mtimeMs).toBe(mtime);
  });
});
