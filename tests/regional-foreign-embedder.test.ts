/**
 * The region with a transformer embedder it did not build: a small HF-format BERT folder
 * (2 layers, hidden 32, seeded random weights: a stand-in, not a quality model), generated here
 * into a temp dir and served through the foreign-folder path (transformers.js) by pointing
 * EMBEDDER_MODEL at it. On both dialects: the store follows its width (32, not the default 100),
 * padding and the attention mask are handled (a text's vector does not depend on what it was
 * batched with), and chunks embedded by the previous embedder are re-embedded.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { setupOrFail } from './helpers/setup-or-fail.ts';
import { writeRandomBertFolder, type StandInShape } from '../models/pipeline/bert-standin.ts';
import { mulberry32 } from '../models/pipeline/datasets.ts';
import { bertForward, randomBertWeights } from '../models/pipeline/onnx/bert-graph.ts';
import { WordPieceTokenizer } from '../shared/tokenizer/wordpiece.ts';
import { estimateTokens, lengthGroups } from '../regional/src/inference/length-groups.ts';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';

const EDGE = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json' };
const ADMIN = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };
const TINY: StandInShape = { layers: 2, hidden: 32, heads: 4, intermediate: 64, maxPositions: 128 };
const SEED = 7;

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

describe('the BERT stand-in graph', () => {
  it('computes BERT: onnxruntime matches a plain TypeScript forward pass, padding included', async () => {
    const db = await tempDatabase('sqlite', 'sy-bert-graph-');
    try {
      const dir = join(db.dir, 'tiny-bert');
      await writeRandomBertFolder(dir, TINY, SEED);
      const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
      const tokenizer = new WordPieceTokenizer(json);
      // The same seeded weights the folder was written with.
      const weights = randomBertWeights({ ...TINY, vocabSize: Object.keys(json.model.vocab).length }, mulberry32(SEED));
      const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
      expect([...session.inputNames].sort()).toEqual(['attention_mask', 'input_ids', 'token_type_ids']);
      expect(session.outputNames).toEqual(['last_hidden_state']);
      const enc = tokenizer.encodeBatch(['where is my order?', 'do you ship manga to alaska and hawaii, and how long does it take']);
      const dims = [enc.batch, enc.sequence];
      const out = await session.run({
        input_ids: new ort.Tensor('int64', enc.inputIds, dims),
        attention_mask: new ort.Tensor('int64', enc.attentionMask, dims),
        token_type_ids: new ort.Tensor('int64', enc.tokenTypeIds, dims),
      });
      const hidden = out.last_hidden_state;
      expect(hidden.dims).toEqual([2, enc.sequence, 32]);
      const mask = enc.ids.map((row) => Array.from({ length: enc.sequence }, (_, t) => (t < row.length ? 1 : 0)));
      const padded = enc.ids.map((row) => Array.from({ length: enc.sequence }, (_, t) => row[t] ?? tokenizer.padId));
      const expected = bertForward(weights, padded, mask).flat(2);
      expect(maxAbsDiff(hidden.data as Float32Array, expected)).toBeLessThan(1e-4);
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      expect(config).toMatchObject({ model_type: 'bert', hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, max_position_embeddings: 128 });
      expect(config.switchyard_stand_in).toMatch(/not a quality model/);
    } finally {
      await db.cleanup();
    }
  });
});

describe.each(['sqlite', 'postgres'] as const)('the region with a foreign BERT embedder folder on %s', (dialect) => {
  let db: TempDatabase;
  let r: RunningRegional;
  const post = (path: string, body: unknown, headers: Record<string, string> = EDGE) => fetch(r.url + path, { method: 'POST', headers, body: JSON.stringify(body) });
  const embed = async (input: string[]) => {
    const res = await post('/v1/embeddings', { input });
    expect(res.status).toBe(200);
    return ((await res.json()).data as { embedding: number[] }[]).map((d) => d.embedding);
  };
  const batchHistogram = async () => {
    const text = await (await fetch(r.url + '/metrics')).text();
    const value = (name: string) => Number(new RegExp(`^switchyard_batch_size_${name}\\{model="embedder"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    return { sum: value('sum'), count: value('count') };
  };

  setupOrFail(async () => {
    db = await tempDatabase(dialect, 'sy-foreign-emb-', 'r.db');
    // First the default (100-d) embedder, with a document ingested through the API…
    const before = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: db.url }), () => {});
    const ingested = await fetch(before.url + '/v1/kb/documents', {
      method: 'POST',
      headers: ADMIN,
      body: JSON.stringify({ id: 'partner-doc', title: 'Gift wrapping', text: 'Gift wrapping with a handwritten card costs $3.50 per order and is available at checkout.' }),
    });
    expect(ingested.status).toBe(201);
    await before.close();
    // …then the same database with the stand-in transformer: no code change, one variable.
    const folder = join(db.dir, 'tiny-bert');
    await writeRandomBertFolder(folder, TINY, SEED);
    r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: db.url, EMBEDDER_MODEL: folder }), () => {});
  }, 240_000);
  afterAll(async () => {
    await r?.close();
    await db?.cleanup();
  });

  it('serves /v1/embeddings with the folder through transformers.js, at its own width', async () => {
    const ready = await (await fetch(r.url + '/readyz')).json();
    const emb = ready.models.find((m: { role: string }) => m.role === 'embedder').info;
    expect(emb).toMatchObject({ name: 'tiny-bert', runtime: 'transformers.js', verified: false });
    expect(emb.version).toMatch(/^external-[0-9a-f]{12}$/);
    const [v] = await embed(['do you ship to alaska']);
    expect(v).toHaveLength(32);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(r.services.store.dimensions).toBe(32);
  });

  it('gives a text the same embedding alone and batched with longer texts (padding and attention mask)', async () => {
    const short = 'where is my order';
    const [alone] = await embed([short]);
    const h0 = await batchHistogram();
    // Longer, but close enough in length that the embedder runs all three in one padded run
    // (it groups very different lengths into separate runs: inference/length-groups.ts).
    const longer = ['do you ship manga box sets to alaska and hawaii', 'can I still cancel an order that has shipped'];
    const texts = [longer[0], short, longer[1]];
    expect(lengthGroups(texts.map((t) => estimateTokens(t.length)))).toHaveLength(1);
    const [a, batched, b] = await embed(texts);
    const h1 = await batchHistogram();
    // One batch of three ran (so the short text was padded to the longest).
    expect(h1.count - h0.count).toBe(1);
    expect(h1.sum - h0.sum).toBe(3);
    expect(maxAbsDiff(alone, batched)).toBeLessThan(1e-4);
    // The texts do differ (the check above is not trivially true).
    expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(a, batched)).toBeGreaterThan(1e-3);
  });

  it('re-embeds what the previous embedder stored: the seeded knowledge base and an API-ingested document', async () => {
    expect(await r.services.reembedded).toBeGreaterThan(0);
    const stats = await r.services.store.stats();
    expect(stats.embeddedChunks).toBe(stats.chunks);
    expect(await r.services.store.staleChunks(10)).toEqual([]);
    const [q] = await r.services.embedder.embed(['Gift wrapping with a handwritten card costs $3.50 per order and is available at checkout.']);
    const hits = await r.services.store.searchVector(q, 3);
    expect(hits[0]).toMatchObject({ documentId: 'partner-doc' });
    expect(hits[0].score).toBeGreaterThan(0.99);
  });

  it('answers /v1/generate with hybrid retrieval on the new vectors, no embedder fallback', async () => {
    const j = await (await post('/v1/generate', { message: 'how much is gift wrapping?', sessionId: 'foreign-1' }, { ...EDGE, accept: 'application/json' })).json();
    expect(j.route.fallbacks.filter((f: string) => f.startsWith('embedder') || f.startsWith('retrieval'))).toEqual([]);
    expect(j.done.sources.length).toBeGreaterThan(0);
  });
});
