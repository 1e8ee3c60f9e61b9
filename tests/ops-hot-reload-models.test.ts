/**
 * The region hot-reloads the in-process reranker and embedder, as it does the classifier: a
 * promoted version (a copy of the committed model whose tokenizer swaps two words, so its files
 * and its outputs differ predictably) is verified, loaded and warmed, then serves, with no call
 * dropped during the swap, and the old one is released; a version tampered with after
 * registration is refused and the old one keeps serving. After an embedder swap the store
 * compares query vectors only with chunks of the new version (text search finds the rest) and
 * re-embedding brings every chunk to it, on SQLite and PostgreSQL.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOrFail } from './helpers/setup-or-fail.ts';
import { loadConfig } from '../regional/src/config.ts';
import type { Embedder } from '../regional/src/retrieval/embedder.ts';
import { hybridSearch } from '../regional/src/retrieval/hybrid.ts';
import { ingestDocument } from '../regional/src/retrieval/ingest.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { DEFAULT_DOMAIN_DIR } from '../regional/src/domain/pack-files.ts';
import { calibrationFileOf } from '../regional/src/http/cohere/rerank-scores.ts';
import { openStore } from '../regional/src/store/open.ts';
import type { Store } from '../regional/src/store/types.ts';
import { copyWithSwappedWords, registerAndPromote, swapWords } from './helpers/model-copies.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';

/** The committed versions (name@version) of the models the copies stand in for. */
const committed = (dir: string): string => {
  const m = JSON.parse(readFileSync(join('models/default', dir, 'manifest.json'), 'utf8'));
  return `${m.name}@${m.version}`;
};
const RERANKER_NOW = committed('reranker');
const EMBEDDER_NOW = committed('embedder');

const A = 'order';
const B = 'refund';
const swap = (t: string) => swapWords(t, A, B);
const EDGE = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json' };

async function post(r: RunningRegional, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${r.url}${path}`, { method: 'POST', headers: EDGE, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function servingVersion(r: RunningRegional, role: string): Promise<string> {
  const ready = await (await fetch(`${r.url}/readyz`)).json();
  return ready.models.find((m: { role: string }) => m.role === role).info.version;
}

/** The value of a Prometheus sample whose labels include `labels` (0 when there is none). */
async function metric(r: RunningRegional, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function until(cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('condition not met in time');
}

/** A tampered copy: registered clean, then one of its files changes before promotion. */
const tamperFile = (folder: string, file: string) => () => writeFileSync(join(folder, file), readFileSync(join(folder, file), 'utf8').replace('"pad_token"', '"pad_tokens"').replace('"hidden_act"', '"hidden_acts"'));

const start = (url: string, logs: string[], extra: Record<string, string> = {}) =>
  // The hot reload is driven by check() in these tests (its timer would fire once an hour).
  startRegional(loadConfig({ PORT: '0', DATABASE_URL: url, HOT_RELOAD_INTERVAL_MS: '3600000', MODEL_RETIRE_GRACE_MS: '0', ...extra }), (m) => void logs.push(m));

describe('reranker hot reload', () => {
  let db: TempDatabase;
  let r: RunningRegional;
  const logs: string[] = [];
  const Q = `where is my ${B}`;
  const DOCS = [`your ${B} is on its way`, `track the ${A} online`, `${B} or ${A}: we answer within a day`, 'opening hours of the shop'];
  const scores = async (query: string, documents: string[]) => {
    const res = await post(r, '/v1/rerank', { query, documents });
    expect(res.status).toBe(200);
    // The reranker's logits, recovered from the [0, 1] scores: a version with no fitted calibration
    // is served as sigmoid(logit), the calibrated one as sigmoid(logit / temperature + bias).
    const cal = res.body.meta.scores.calibrated ? JSON.parse(readFileSync(calibrationFileOf(DEFAULT_DOMAIN_DIR), 'utf8')) : null;
    const out = new Array<number>(documents.length);
    for (const x of res.body.results as { index: number; relevance_score: number }[]) {
      const z = Math.log(x.relevance_score / (1 - x.relevance_score));
      out[x.index] = cal ? (z - cal.bias) * cal.temperature : z;
    }
    return out;
  };

  beforeAll(async () => {
    db = await tempDatabase('sqlite', 'sy-hot-rr-');
    r = await start(db.url, logs, { SEED_STORE_KB: 'false' });
  }, 120_000);
  afterAll(async () => {
    await r?.close();
    await db?.cleanup();
  });

  it('serves a promoted version without dropping a call, then releases the old one', async () => {
    expect(`switchyard-reranker@${await servingVersion(r, 'reranker')}`).toBe(RERANKER_NOW);
    const before = await scores(Q, DOCS);
    const expected = await scores(swap(Q), DOCS.map(swap)); // what the new model will say about Q, DOCS
    expect(expected).not.toEqual(before);
    const oldRerank = r.services.rerank!;

    const folder = copyWithSwappedWords('models/default/reranker', db.dir, '1.0.1', A, B);
    await registerAndPromote(r.services.store.registry, folder, 'switchyard-reranker', '1.0.1');
    // Calls keep coming while the new version loads and takes over: every one is answered.
    let swapping = true;
    const statuses: number[] = [];
    const traffic = Array.from({ length: 3 }, async () => {
      while (swapping) statuses.push((await post(r, '/v1/rerank', { query: Q, documents: DOCS })).status);
    });
    await r.hotReload!.check();
    swapping = false;
    await Promise.all(traffic);
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([200]));

    const after = await scores(Q, DOCS);
    after.forEach((s, i) => expect(s).toBeCloseTo(expected[i], 5));
    expect(await servingVersion(r, 'reranker')).toBe('1.0.1');
    expect(await metric(r, 'switchyard_model_latency_seconds_count', { role: 'reranker', version: '1.0.1' })).toBeGreaterThan(0);
    expect(await metric(r, 'switchyard_model_reloads_total', { role: 'reranker', result: 'loaded' })).toBe(1);
    const active = await (await fetch(`${r.url}/v1/ops/active-models`, { headers: EDGE })).json();
    expect(active.models.find((m: { name: string }) => m.name === 'switchyard-reranker').version).toBe('1.0.1');

    // The old model is released once its batcher drained: a call that still reaches it is refused clearly.
    await until(() => logs.some((l) => l.includes(`released reranker ${RERANKER_NOW}`)));
    await expect(oldRerank(Q, DOCS)).rejects.toThrow(/replaced and released/);
  });

  it('refuses a version whose files changed after registration, and keeps serving the old one', async () => {
    const served = await scores(Q, DOCS);
    const folder = copyWithSwappedWords('models/default/reranker', db.dir, '1.0.2', B, 'shop');
    await registerAndPromote(r.services.store.registry, folder, 'switchyard-reranker', '1.0.2', tamperFile(folder, 'tokenizer_config.json'));
    await r.hotReload!.check();
    expect(await servingVersion(r, 'reranker')).toBe('1.0.1');
    expect(await scores(Q, DOCS)).toEqual(served);
    expect(await metric(r, 'switchyard_model_reloads_total', { role: 'reranker', result: 'refused' })).toBe(1);
    expect(logs.some((l) => /refused reranker switchyard-reranker@1\.0\.2: .*sha256/.test(l))).toBe(true);
    // Refused once: the same version is not loaded again on every check.
    await r.hotReload!.check();
    expect(await metric(r, 'switchyard_model_reloads_total', { role: 'reranker', result: 'refused' })).toBe(1);

    // Its manifest.json (not hashed, but the loader takes the version from it) rewritten after registration.
    const renamed = copyWithSwappedWords('models/default/reranker', db.dir, '1.0.3', B, 'shop');
    await registerAndPromote(r.services.store.registry, renamed, 'switchyard-reranker', '1.0.3', () => {
      const m = JSON.parse(readFileSync(join(renamed, 'manifest.json'), 'utf8'));
      writeFileSync(join(renamed, 'manifest.json'), JSON.stringify({ ...m, version: '9.9.9' }));
    });
    await r.hotReload!.check();
    expect(await servingVersion(r, 'reranker')).toBe('1.0.1');
    expect(await scores(Q, DOCS)).toEqual(served);
    expect(await metric(r, 'switchyard_model_reloads_total', { role: 'reranker', result: 'refused' })).toBe(2);
    expect(logs.some((l) => /refused reranker switchyard-reranker@1\.0\.3: .*does not describe the registered version/.test(l))).toBe(true);
  });
});

describe.each(['sqlite', 'postgres'] as const)('embedder hot reload on %s', (dialect) => {
  let db: TempDatabase;
  let r: RunningRegional;
  const logs: string[] = [];
  const NEW = 'switchyard-static-embedder@1.0.1';
  const embed = async (text: string) => {
    const res = await post(r, '/v1/embeddings', { input: [text] });
    expect(res.status).toBe(200);
    return { model: res.body.model as string, vector: res.body.data[0].embedding as number[] };
  };

  setupOrFail(async () => {
    db = await tempDatabase(dialect, 'sy-hot-emb-');
    r = await start(db.url, logs);
    await r.services.reembedded;
  }, 120_000);
  afterAll(async () => {
    await r?.close();
    await db?.cleanup();
  });

  it('serves a promoted version; retrieval keeps working and re-embedding brings every chunk to it', async () => {
    const store = r.services.store;
    const before = await store.stats();
    expect(before.embeddedChunks).toBeGreaterThan(10);
    const oldB = (await embed(B)).vector;
    const oldA = (await embed(A)).vector;
    const oldQuery = (await embed('can I get my money back')).vector;

    const folder = copyWithSwappedWords('models/default/embedder', db.dir, '1.0.1', A, B);
    await registerAndPromote(store.registry, folder, 'switchyard-static-embedder', '1.0.1');
    await r.hotReload!.check();

    // The new model serves: its vector of A is the old model's vector of B.
    expect(await servingVersion(r, 'embedder')).toBe('1.0.1');
    expect(r.services.embedder.name).toBe(NEW);
    expect(store.embeddingVersion).toBe(NEW);
    const now = await embed(A);
    expect(now.model).toBe(NEW);
    now.vector.forEach((x, i) => expect(x).toBeCloseTo(oldB[i], 5));
    expect(now.vector).not.toEqual(oldA);

    // Retrieval works at once (text search carries what is not re-embedded yet), and vector search
    // takes only this version's chunks: the old model's vectors are refused, not compared.
    const during = await hybridSearch(store, r.services.embedder, `how do I get a ${B} for a damaged ${A}`, { k: 10 });
    expect(during.fallbacks).toEqual([]);
    expect(during.hits.length).toBeGreaterThan(0);
    await expect(store.searchVector(oldQuery, 5, EMBEDDER_NOW)).rejects.toMatchObject({ code: 'EMBEDDING_VERSION_MISMATCH' });

    // Re-embedding restarted with the new embedder and moved every chunk to it.
    expect(await r.services.reembedded).toBe(before.embeddedChunks);
    expect(await store.stats()).toMatchObject({ chunks: before.chunks, embeddedChunks: before.embeddedChunks });
    expect(await store.staleChunks(10)).toEqual([]);
    const after = await hybridSearch(store, r.services.embedder, `how do I get a ${B} for a damaged ${A}`, { k: 10 });
    expect(after.fallbacks).toEqual([]);
    expect(after.hits.some((h) => h.vectorRank !== null)).toBe(true);
    expect(logs.some((l) => l.includes(`re-embedded ${before.embeddedChunks} chunks of other embedders with ${NEW}`))).toBe(true);
    expect(await metric(r, 'switchyard_model_latency_seconds_count', { role: 'embedder', version: '1.0.1' })).toBeGreaterThan(0);
    await until(() => logs.some((l) => l.includes(`released embedder ${EMBEDDER_NOW}`)));
  });

  it('refuses a tampered version: the old embedder, its store version and its vectors stay', async () => {
    const store = r.services.store;
    const served = (await embed(A)).vector;
    const folder = copyWithSwappedWords('models/default/embedder', db.dir, '1.0.2', A, 'shop');
    await registerAndPromote(store.registry, folder, 'switchyard-static-embedder', '1.0.2', tamperFile(folder, 'config.json'));
    await r.hotReload!.check();
    expect(await servingVersion(r, 'embedder')).toBe('1.0.1');
    expect(store.embeddingVersion).toBe(NEW);
    expect(await embed(A)).toEqual({ model: NEW, vector: served });
    expect(await metric(r, 'switchyard_model_reloads_total', { role: 'embedder', result: 'refused' })).toBe(1);
    expect((await store.stats()).embeddedChunks).toBeGreaterThan(10);
  });
});

describe.each(['sqlite', 'postgres'] as const)('a store switching embedders on %s', (dialect) => {
  let db: TempDatabase;
  let store: Store;
  setupOrFail(async () => {
    db = await tempDatabase(dialect, 'sy-switch-');
    store = await openStore(db.url, { dimensions: 3, embeddingVersion: 'emb@1', domain: 'test' });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await db?.cleanup();
  });

  it('compares vectors only with chunks of its current embedder, and takes re-embedded ones', async () => {
    const chunk = (text: string, embedding: number[]) => ({ text, tokenCount: 3, embedding });
    await store.upsertDocument({ id: 'd', title: 'Returns', contentHash: 'h' }, [chunk('refund within thirty days', [1, 0, 0]), chunk('shipping takes two days', [0, 1, 0])]);
    expect((await store.searchVector([1, 0, 0], 5)).map((h) => h.text)).toEqual(['refund within thirty days', 'shipping takes two days']);

    await store.useEmbedding('emb@2', 3);
    expect(store.embeddingVersion).toBe('emb@2');
    expect(await store.searchVector([1, 0, 0], 5)).toEqual([]);
    expect((await store.searchText('refund', 5)).map((h) => h.text)).toEqual(['refund within thirty days']);
    const stale = await store.staleChunks(10);
    expect(stale.map((c) => c.text)).toEqual(['refund within thirty days', 'shipping takes two days']);
    // Vectors of the previous embedder are refused, for search and for re-embedding writes.
    await expect(store.searchVector([1, 0, 0], 5, 'emb@1')).rejects.toMatchObject({ code: 'EMBEDDING_VERSION_MISMATCH' });
    await expect(store.setChunkEmbeddings([{ id: stale[0].id, embedding: [0, 0, 1] }], 'emb@1')).rejects.toMatchObject({ code: 'EMBEDDING_VERSION_MISMATCH' });

    expect(await store.setChunkEmbeddings([{ id: stale[0].id, embedding: [0, 0, 1] }], 'emb@2')).toBe(1);
    expect((await store.searchVector([0, 0, 1], 5, 'emb@2')).map((h) => h.text)).toEqual(['refund within thirty days']);
    expect(await store.stats()).toMatchObject({ chunks: 2, embeddedChunks: 1 });
    expect((await store.staleChunks(10)).map((c) => c.text)).toEqual(['shipping takes two days']);

    // Another width: vectors of it are searched (none yet), the old width refused.
    await store.useEmbedding('wide@1', 4);
    expect(store.dimensions).toBe(4);
    expect(await store.searchVector([0, 0, 1, 0], 5)).toEqual([]);
    await expect(store.searchVector([0, 0, 1], 5)).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
    await expect(store.useEmbedding('', 4)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(store.embeddingVersion).toBe('wide@1');
  });

  it('refuses to file a document embedded by an embedder the store left meanwhile', async () => {
    const leaving: Embedder = {
      name: 'wide@1',
      dimensions: 4,
      embed: async (texts) => {
        await store.useEmbedding('wide@2', 4); // a hot reload while the chunks are embedded
        return texts.map(() => Float32Array.from([1, 0, 0, 0]));
      },
    };
    await expect(ingestDocument(store, leaving, { id: 'late', title: 'Late', text: 'words embedded by the previous model' })).rejects.toMatchObject({ code: 'EMBEDDING_VERSION_MISMATCH' });
    expect(await store.getDocument('late')).toBeNull();
  });
});
