/**
 * The regional Store contract, run unchanged against both implementations: SQLite (a temp file)
 * and PostgreSQL + pgvector (a fresh database per run, dropped afterwards). PostgreSQL must be
 * reachable and have pgvector: when it is not, these tests fail; they are never skipped.
 */
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, it as vitestIt } from 'vitest';
import { findActiveApiKey, generateApiKey, hashApiKey, issueApiKey } from '../regional/src/store/api-keys.ts';
import { openStore, resolveStoreTarget } from '../regional/src/store/open.ts';
import { createTempDatabase, PG_ADMIN_URL } from './helpers/pg-database.ts';
import { PG_EMBEDDING_DIMENSIONS } from '../regional/src/store/schema.pg.ts';
import { unusedVectorIndexes, vectorIndexName, vectorPredicate } from '../regional/src/store/pg-vector-index.ts';
import { StoreError, type ChunkInput, type Store, type TurnInput } from '../regional/src/store/types.ts';

const DIMS = PG_EMBEDDING_DIMENSIONS;
const VERSION = 'test-embedder@1.0.0';
const OPTS = { dimensions: DIMS, embeddingVersion: VERSION, domain: 'test' };

/** A unit vector along axis `i`, tilted a little toward axis `j` by `t`. */
function vec(i: number, j = (i + 1) % DIMS, t = 0): Float32Array {
  const v = new Float32Array(DIMS);
  v[i] = 1;
  v[j] += t;
  return v;
}
function cos(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) (d += a[i] * b[i]), (na += a[i] * a[i]), (nb += b[i] * b[i]);
  return d / Math.sqrt(na * nb);
}
const chunk = (text: string, embedding: Float32Array | null = null, embeddingVersion?: string): ChunkInput => ({
  text,
  tokenCount: text.split(/\s+/).length,
  embedding,
  ...(embeddingVersion ? { embeddingVersion } : {}),
});
async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, `expected a StoreError ${code}`).toBeInstanceOf(StoreError);
  expect((e as StoreError).code).toBe(code);
}

interface Target {
  url: string;
  /** Opens another store on the same database (a second connection / pool). */
  open(opts?: typeof OPTS): Promise<Store>;
  cleanup(): Promise<void>;
}

async function sqliteTarget(): Promise<Target & { path: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-store-'));
  const path = join(dir, 'nested', 'store.db');
  return { url: path, path, open: (opts = OPTS) => openStore(path, opts), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

async function pgTarget(): Promise<Target> {
  const db = await createTempDatabase();
  return { url: db.url, open: (opts = OPTS) => openStore(db.url, opts), cleanup: db.drop };
}

function storeSuite(dialect: 'sqlite' | 'postgres', makeTarget: () => Promise<Target>) {
  describe(`${dialect} store`, () => {
    let target: Target;
    let store: Store;
    const extra: Store[] = [];

    // A database that cannot be reached (or has no pgvector) fails every test below with the
    // reason, instead of leaving them skipped behind a failed hook.
    let setupError: unknown = null;
    const it = (name: string, fn: () => Promise<void>) =>
      vitestIt(name, async () => {
        if (setupError) throw setupError;
        await fn();
      });

    beforeAll(async () => {
      try {
        target = await makeTarget();
        store = await target.open();
      } catch (e) {
        setupError = e;
      }
    });
    afterAll(async () => {
      for (const s of [store, ...extra]) await s?.close();
      await target?.cleanup();
    });

    it('opens the right dialect with migrations applied', async () => {
      expect(store.dialect).toBe(dialect);
      expect(await store.stats()).toEqual({ documents: 0, chunks: 0, embeddedChunks: 0 });
      // a second open of a migrated database applies nothing and works
      const again = await target.open();
      extra.push(again);
      expect((await again.stats()).documents).toBe(0);
    });

    it('upserts, replaces and deletes documents with their chunks (cascade, FTS kept in sync)', async () => {
      const first = await store.upsertDocument(
        { id: 'doc-1', title: 'Shipping', source: 'test', url: 'https://example.com/ship', metadata: { kind: 'policy', n: 1 }, contentHash: 'h1' },
        [chunk('Standard shipping to Alaska costs 12.99', vec(0)), chunk('Overnight delivery uses UPS Next Day Air', vec(1)), chunk('Parcels leave the warehouse in Portland', vec(2))],
      );
      expect(first.chunks).toBe(3);
      const got = await store.getDocument('doc-1');
      expect(got).toMatchObject({ id: 'doc-1', title: 'Shipping', source: 'test', url: 'https://example.com/ship', metadata: { kind: 'policy', n: 1 }, contentHash: 'h1' });
      expect(got!.chunks.map((c) => [c.ordinal, c.text, c.embeddingVersion])).toEqual([
        [0, 'Standard shipping to Alaska costs 12.99', VERSION],
        [1, 'Overnight delivery uses UPS Next Day Air', VERSION],
        [2, 'Parcels leave the warehouse in Portland', VERSION],
      ]);
      expect((await store.searchText('overnight', 5)).map((h) => h.documentId)).toEqual(['doc-1']);

      await store.upsertDocument({ id: 'doc-1', title: 'Shipping v2', contentHash: 'h2' }, [chunk('Hawaii shipping costs 12.99', vec(3)), chunk('Expedited takes two days', vec(4))]);
      const replaced = await store.getDocument('doc-1');
      expect(replaced).toMatchObject({ title: 'Shipping v2', source: null, url: null, metadata: null, contentHash: 'h2' });
      expect(replaced!.createdAt.getTime()).toBe(got!.createdAt.getTime());
      expect(replaced!.updatedAt.getTime()).toBeGreaterThanOrEqual(got!.updatedAt.getTime());
      expect(replaced!.chunks.map((c) => c.text)).toEqual(['Hawaii shipping costs 12.99', 'Expedited takes two days']);
      expect(await store.searchText('overnight', 5)).toEqual([]);
      expect((await store.searchText('hawaii', 5)).map((h) => h.text)).toEqual(['Hawaii shipping costs 12.99']);
      expect((await store.searchVector(vec(0), 10)).map((h) => h.text)).not.toContain('Standard shipping to Alaska costs 12.99');
      expect(await store.stats()).toEqual({ documents: 1, chunks: 2, embeddedChunks: 2 });
      expect(await store.listDocuments()).toEqual([{ id: 'doc-1', source: null, contentHash: 'h2' }]);

      expect(await store.deleteDocument('doc-1')).toBe(true);
      expect(await store.deleteDocument('doc-1')).toBe(false);
      expect(await store.getDocument('doc-1')).toBeNull();
      expect(await store.stats()).toEqual({ documents: 0, chunks: 0, embeddedChunks: 0 });
      expect(await store.searchText('hawaii', 5)).toEqual([]);
      expect(await store.searchVector(vec(3), 5)).toEqual([]);
    });

    it('refuses bad documents with INVALID_INPUT / DIMENSION_MISMATCH and writes nothing', async () => {
      await expectCode(store.upsertDocument({ id: '', title: 't', contentHash: 'h' }, []), 'INVALID_INPUT');
      await expectCode(store.upsertDocument({ id: 'bad', title: 't', contentHash: 'h' }, [chunk('x', new Float32Array(DIMS - 1))]), 'DIMENSION_MISMATCH');
      await expectCode(store.upsertDocument({ id: 'bad', title: 't', contentHash: 'h' }, [chunk('x', new Float32Array(DIMS).fill(NaN))]), 'INVALID_INPUT');
      await expectCode(store.upsertDocument({ id: 'bad', title: 't', contentHash: 'h' }, [chunk('', vec(0))]), 'INVALID_INPUT');
      expect(await store.getDocument('bad')).toBeNull();
    });

    it('full-text search ranks matches and treats hostile punctuation as plain text', async () => {
      await store.upsertDocument({ id: 'fts-a', title: 'Alaska', contentHash: 'a' }, [chunk('Shipping to Alaska and Hawaii is a flat 12.99 by USPS Priority Mail')]);
      await store.upsertDocument({ id: 'fts-b', title: 'Returns', contentHash: 'b' }, [chunk('Returns are accepted within 30 days of delivery, with a prepaid label')]);
      await store.upsertDocument({ id: 'fts-c', title: 'Mixed', contentHash: 'c' }, [chunk('Shipping labels for returns: near the bottom of the order page')]);

      const alaska = await store.searchText('How much is shipping to Alaska?', 10);
      expect(alaska[0].documentId).toBe('fts-a');
      expect(alaska[0]).toMatchObject({ title: 'Alaska', ordinal: 0 });
      for (let i = 1; i < alaska.length; i++) expect(alaska[i - 1].score).toBeGreaterThanOrEqual(alaska[i].score);
      // stemming: "returned" finds "Returns"
      expect((await store.searchText('returned', 10)).map((h) => h.documentId)).toContain('fts-b');

      const hostile = [
        '"',
        '*',
        'NEAR(',
        '-',
        ':',
        '"alaska',
        'alaska"*',
        'NEAR(shipping alaska, 2)',
        '-returns -"label"',
        'title:alaska',
        'text : alaska ^hawaii',
        'AND OR NOT',
        '((((',
        "'; DROP TABLE chunks; --",
        '\u0000\u001b[31m',
        '📦🚚',
        '',
        '   ',
        'alaska '.repeat(2000),
      ];
      for (const q of hostile) {
        const hits = await store.searchText(q, 10);
        expect(Array.isArray(hits), q).toBe(true);
      }
      expect((await store.searchText('"alaska', 10))[0].documentId).toBe('fts-a');
      expect((await store.searchText('NEAR(alaska hawaii, 2)', 10))[0].documentId).toBe('fts-a');
      expect((await store.searchText('title:alaska', 10)).map((h) => h.documentId)).toEqual(['fts-a']);
      // "-" is not negation: the chunk that has "returns" and "label" is found
      expect((await store.searchText('-returns -"label"', 10)).map((h) => h.documentId).sort()).toEqual(['fts-b', 'fts-c']);
      expect(await store.searchText('', 10)).toEqual([]);
      expect(await store.searchText('?!.,;', 10)).toEqual([]);
      expect(await store.stats()).toMatchObject({ documents: 3 });
      await expectCode(store.searchText('alaska', 0), 'INVALID_INPUT');
      await expectCode(store.searchText('alaska', 1.5), 'INVALID_INPUT');
      for (const id of ['fts-a', 'fts-b', 'fts-c']) await store.deleteDocument(id);
    });

    it('vector search orders by cosine similarity and sees only the current embedding version', async () => {
      const q = vec(10);
      const near = [vec(10, 11, 0.1), vec(10, 11, 0.5), vec(10, 11, 1.5), vec(11, 10, 0.2), vec(12, 10, 0.05)];
      await store.upsertDocument(
        { id: 'vec-a', title: 'A', contentHash: 'a' },
        near.slice(0, 3).map((v, i) => chunk(`a${i}`, v)),
      );
      await store.upsertDocument({ id: 'vec-b', title: 'B', contentHash: 'b' }, [
        chunk('b0', near[3]),
        chunk('b1', near[4]),
        chunk('b-text-only', null),
        chunk('b-old-model', vec(10), 'old-embedder@0.1.0'),
      ]);
      const hits = await store.searchVector(q, 10);
      expect(hits.map((h) => h.text)).toEqual(['a0', 'a1', 'a2', 'b0', 'b1']);
      hits.forEach((h, i) => expect(h.score).toBeCloseTo(cos(q, near[i]), 4));
      expect(hits[0]).toMatchObject({ documentId: 'vec-a', title: 'A', ordinal: 0 });
      // a number[] query, and k limits
      expect((await store.searchVector(Array.from(q), 2)).map((h) => h.text)).toEqual(['a0', 'a1']);
      // scale does not matter (cosine)
      expect((await store.searchVector(q.map((x) => x * 7), 3)).map((h) => h.text)).toEqual(['a0', 'a1', 'a2']);
      // a write after a search is visible to the next search (the SQLite cache is invalidated)
      await store.upsertDocument({ id: 'vec-c', title: 'C', contentHash: 'c' }, [chunk('c0', vec(10))]);
      expect((await store.searchVector(q, 1))[0]).toMatchObject({ text: 'c0', documentId: 'vec-c' });
      expect((await store.searchVector(q, 1))[0].score).toBeCloseTo(1, 5);
      await store.deleteDocument('vec-c');
      expect((await store.searchVector(q, 1))[0].text).toBe('a0');
      expect((await store.stats()).embeddedChunks).toBe(5);

      await expectCode(store.searchVector(new Float32Array(DIMS + 1), 5), 'DIMENSION_MISMATCH');
      await expectCode(store.searchVector(new Float32Array(DIMS), 5), 'INVALID_INPUT');
      await expectCode(store.searchVector(q, 1001), 'INVALID_INPUT');
      await store.deleteDocument('vec-a');
      await store.deleteDocument('vec-b');
    });

    it('follows the embedder: another embedder of another width on the same database searches only its own chunks and re-embeds the others', async () => {
      const W = 48;
      const v48 = (i: number) => Object.assign(new Float32Array(W), { [i]: 1 });
      await store.upsertDocument({ id: 'narrow', title: 'N', contentHash: 'n' }, [chunk('n0', vec(30)), chunk('n1', vec(31)), chunk('n-text-only', null)]);
      const wide = await target.open({ dimensions: W, embeddingVersion: 'wide-embedder@2', domain: 'test' });
      extra.push(wide);
      expect(await wide.searchVector(v48(0), 5)).toEqual([]);
      await wide.upsertDocument({ id: 'wide', title: 'W', contentHash: 'w' }, [chunk('w0', v48(0))]);
      expect((await wide.searchVector(v48(0), 5)).map((h) => h.text)).toEqual(['w0']);
      expect((await store.searchVector(vec(30), 5)).map((h) => h.text)).toEqual(['n0', 'n1']);
      // The narrow embedder's chunks are stale for the wide one (text-only chunks are not).
      const stale = await wide.staleChunks(10);
      expect(stale.map((c) => c.text)).toEqual(['n0', 'n1']);
      expect((await wide.staleChunks(10, stale[0].id)).map((c) => c.text)).toEqual(['n1']);
      expect((await store.staleChunks(10)).map((c) => c.text)).toEqual(['w0']);
      expect(await wide.setChunkEmbeddings([{ id: stale[0].id, embedding: v48(5) }, { id: 987_654, embedding: v48(6) }])).toBe(1);
      expect((await wide.searchVector(v48(5), 1))[0]).toMatchObject({ text: 'n0', documentId: 'narrow' });
      expect((await store.searchVector(vec(30), 5)).map((h) => h.text)).not.toContain('n0');
      expect((await wide.staleChunks(10)).map((c) => c.text)).toEqual(['n1']);
      await expectCode(wide.setChunkEmbeddings([{ id: stale[1].id, embedding: vec(1) }]), 'DIMENSION_MISMATCH');
      await store.deleteDocument('narrow');
      await wide.deleteDocument('wide');
    });

    it('sees writes made through another connection', async () => {
      const other = await target.open();
      extra.push(other);
      expect(await store.searchVector(vec(20), 5)).toEqual([]);
      await other.upsertDocument({ id: 'other', title: 'O', contentHash: 'o' }, [chunk('from the other connection', vec(20))]);
      expect((await store.searchVector(vec(20), 5)).map((h) => h.documentId)).toEqual(['other']);
      expect((await store.searchText('connection', 5)).map((h) => h.documentId)).toEqual(['other']);
      await other.deleteDocument('other');
      expect(await store.searchVector(vec(20), 5)).toEqual([]);
    });

    it('stores only the hash of an API key and finds the key by it', async () => {
      const { key, record } = await issueApiKey(store, { name: 'Acme partner', role: 'partner', rateLimitPerMinute: 120, dailyTokenQuota: 1_000_000 });
      expect(key).toMatch(/^sy_partner_[0-9A-Za-z]{32}$/);
      expect(record).toMatchObject({ name: 'Acme partner', role: 'partner', rateLimitPerMinute: 120, dailyTokenQuota: 1_000_000, revokedAt: null });
      expect(record.keyHash).toBe(hashApiKey(key));
      expect(key.startsWith(record.prefix)).toBe(true);
      expect(record.prefix.length).toBeLessThan(16);
      expect(JSON.stringify(await store.listApiKeys())).not.toContain(key);

      expect(await findActiveApiKey(store, key)).toMatchObject({ id: record.id });
      expect(await store.getApiKeyByHash(hashApiKey(key))).toEqual(record);
      expect(await store.getApiKey(record.id)).toEqual(record);
      expect(await findActiveApiKey(store, key + 'x')).toBeNull();
      expect(await findActiveApiKey(store, '')).toBeNull();
      expect(await store.getApiKeyByHash(hashApiKey('sy_partner_wrong'))).toBeNull();

      const edge = await store.createApiKey({ ...generateApiKey('edge'), name: 'edge worker', role: 'edge', rateLimitPerMinute: 6000 });
      expect(edge.dailyTokenQuota).toBeNull();
      expect((await store.listApiKeys()).map((k) => k.id)).toEqual([record.id, edge.id]);

      await expectCode(store.createApiKey({ name: 'dup', keyHash: record.keyHash, prefix: 'sy_dup', role: 'admin', rateLimitPerMinute: 1 }), 'CONFLICT');
      await expectCode(store.createApiKey({ name: 'raw', keyHash: key, prefix: 'sy_raw', role: 'admin', rateLimitPerMinute: 1 }), 'INVALID_INPUT');
      await expectCode(store.createApiKey({ name: 'role', keyHash: 'b'.repeat(64), prefix: 'sy_r', role: 'root' as never, rateLimitPerMinute: 1 }), 'INVALID_INPUT');

      expect(await store.revokeApiKey(record.id)).toBe(true);
      expect(await store.revokeApiKey(record.id)).toBe(false);
      expect(await store.revokeApiKey('key_missing')).toBe(false);
      expect(await findActiveApiKey(store, key)).toBeNull();
      expect((await store.getApiKeyByHash(hashApiKey(key)))!.revokedAt).toBeInstanceOf(Date);
    });

    it('increments usage atomically under concurrency, per key and day', async () => {
      const a = await store.createApiKey({ ...generateApiKey('partner'), name: 'usage', role: 'partner', rateLimitPerMinute: 60 });
      const other = await target.open();
      extra.push(other);
      const N = 40;
      const results = await Promise.all(
        Array.from({ length: N }, (_, i) => (i % 2 ? store : other).incrementUsage(a.id, '2026-03-01', { requests: 1, tokensIn: 10, tokensOut: 3, costUsd: 0.25 })),
      );
      expect(results.map((r) => r.requests).sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
      expect(await store.getUsage(a.id, '2026-03-01')).toEqual({ keyId: a.id, day: '2026-03-01', requests: N, tokensIn: 10 * N, tokensOut: 3 * N, costUsd: 0.25 * N });
      expect(await store.getUsage(a.id, '2026-03-02')).toEqual({ keyId: a.id, day: '2026-03-02', requests: 0, tokensIn: 0, tokensOut: 0, costUsd: 0 });
      expect(await store.incrementUsage(a.id, '2026-03-02', { tokensOut: 5 })).toMatchObject({ requests: 0, tokensIn: 0, tokensOut: 5 });

      await expectCode(store.incrementUsage('key_missing', '2026-03-01', { requests: 1 }), 'NOT_FOUND');
      await expectCode(store.incrementUsage(a.id, '2026-02-30', { requests: 1 }), 'INVALID_INPUT');
      await expectCode(store.incrementUsage(a.id, '03/01/2026', { requests: 1 }), 'INVALID_INPUT');
      await expectCode(store.incrementUsage(a.id, '2026-03-01', { requests: -1 }), 'INVALID_INPUT');
      await expectCode(store.incrementUsage(a.id, '2026-03-01', { tokensIn: 1.5 }), 'INVALID_INPUT');
      expect((await store.getUsage(a.id, '2026-03-01')).requests).toBe(N);
    });

    it('round-trips conversations and turns in order', async () => {
      const c = await store.getOrCreateConversation('sess-1');
      expect(c).toMatchObject({ sessionId: 'sess-1', userId: null });
      const again = await store.getOrCreateConversation('sess-1', 'user-9');
      expect(again.id).toBe(c.id);
      expect(again.userId).toBe('user-9');
      expect((await store.getOrCreateConversation('sess-1', 'someone-else')).userId).toBe('user-9');

      const full: TurnInput = {
        role: 'assistant',
        text: 'Standard shipping to Alaska is $12.99 — 5–10 business days. 📦',
        intent: 'shipping_info',
        confidence: 0.93,
        routePath: 'llm',
        modelVersions: { classifier: 'store-intent@1.0.0', generator: 'bedrock:claude-haiku' },
        latencyMs: { classify: 1.25, retrieve: 8.5, generate: 640, total: 651.75 },
        tokensIn: 812,
        tokensOut: 64,
        costUsd: 0.000461,
        fallbacks: ['embedder_timeout'],
        traceId: 'trace-abc',
      };
      const t1 = await store.appendTurn(c.id, { role: 'user', text: 'how much to ship to alaska?' });
      const t2 = await store.appendTurn(c.id, full);
      const t3 = await store.appendTurn(c.id, { role: 'user', text: 'thanks', routePath: 'template' });
      expect(t1.id < t2.id && t2.id < t3.id).toBe(true);
      expect(t2).toMatchObject({ ...full, conversationId: c.id });
      expect(t1).toMatchObject({ intent: null, confidence: null, routePath: null, modelVersions: null, latencyMs: null, fallbacks: null, tokensIn: null, traceId: null });

      const got = await store.getConversationBySession('sess-1');
      expect(got!.conversation).toEqual(again);
      expect(got!.turns).toEqual([t1, t2, t3]);
      expect(got!.turns[1].createdAt).toBeInstanceOf(Date);
      expect((await store.getConversationBySession('sess-1', { limit: 2 }))!.turns.map((t) => t.text)).toEqual([full.text, 'thanks']);
      expect(await store.getConversationBySession('sess-unknown')).toBeNull();

      await expectCode(store.appendTurn('no-such-conversation', { role: 'user', text: 'x' }), 'NOT_FOUND');
      await expectCode(store.appendTurn(c.id, { role: 'user', text: 'x', routePath: 'teleport' as never }), 'INVALID_INPUT');
      await expectCode(store.appendTurn(c.id, { role: 'user', text: 'x', confidence: 1.5 }), 'INVALID_INPUT');
    });

    it('appends prediction logs and lists them newest first', async () => {
      const a = await store.appendPredictionLog({ modelName: 'store-intent', modelVersion: '1.0.0', inputHash: 'h1', output: { intent: 'greeting', p: 0.9 }, latencyMs: 0.8 });
      const b = await store.appendPredictionLog({ modelName: 'embedder', modelVersion: '1.0.0', inputHash: 'h2', output: null, latencyMs: 0.3 });
      const c = await store.appendPredictionLog({ modelName: 'store-intent', modelVersion: '1.1.0', inputHash: 'h3', output: ['a', 1], latencyMs: 1 });
      expect(a.output).toEqual({ intent: 'greeting', p: 0.9 });
      expect((await store.listPredictionLogs()).map((l) => l.id)).toEqual([c.id, b.id, a.id]);
      expect(await store.listPredictionLogs({ modelName: 'store-intent', limit: 1 })).toEqual([c]);
      await expectCode(store.appendPredictionLog({ modelName: 'm', modelVersion: '1', inputHash: 'h', output: 1, latencyMs: -1 }), 'INVALID_INPUT');
    });

    it('remembers answers per intent, newest first, keeping the newest `keep` of each', async () => {
      for (let i = 0; i < 5; i++) await store.rememberAnswer({ intent: 'shipping_info', question: `q${i}`, text: `answer ${i}`, sources: [`doc-${i}`] }, 3);
      await store.rememberAnswer({ intent: 'returns', question: 'r', text: 'return answer', sources: [] }, 3);
      const got = await store.recentAnswers('shipping_info', 10);
      expect(got.map((a) => [a.question, a.text, a.sources])).toEqual([
        ['q4', 'answer 4', ['doc-4']],
        ['q3', 'answer 3', ['doc-3']],
        ['q2', 'answer 2', ['doc-2']],
      ]);
      expect(got[0].createdAt).toBeInstanceOf(Date);
      expect((await store.recentAnswers('shipping_info', 1)).map((a) => a.question)).toEqual(['q4']);
      expect((await store.recentAnswers('returns', 10)).map((a) => a.text)).toEqual(['return answer']);
      expect(await store.recentAnswers('nothing-yet', 10)).toEqual([]);
      // The same question again replaces its answer (and becomes the newest).
      await store.rememberAnswer({ intent: 'shipping_info', question: 'q3', text: 'answer 3, revised', sources: [] }, 3);
      expect((await store.recentAnswers('shipping_info', 10)).map((a) => [a.question, a.text])).toEqual([
        ['q3', 'answer 3, revised'],
        ['q4', 'answer 4'],
        ['q2', 'answer 2'],
      ]);
      // Another connection (another process) sees them.
      const other = await target.open();
      extra.push(other);
      expect((await other.recentAnswers('shipping_info', 10)).map((a) => a.question)).toEqual(['q3', 'q4', 'q2']);
      await expectCode(store.rememberAnswer({ intent: '', question: 'q', text: 't', sources: [] }, 3), 'INVALID_INPUT');
    });

    it('keeps acknowledged writes across close and reopen', async () => {
      await store.upsertDocument({ id: 'durable', title: 'Durable', contentHash: 'd' }, [chunk('written before the restart', vec(30))]);
      const key = await store.createApiKey({ ...generateApiKey('admin'), name: 'durable', role: 'admin', rateLimitPerMinute: 10 });
      await store.incrementUsage(key.id, '2026-04-01', { requests: 2, tokensIn: 7 });
      const conv = await store.getOrCreateConversation('sess-durable');
      await store.appendTurn(conv.id, { role: 'user', text: 'still here?' });
      await store.close();
      await expectCode(store.stats(), 'CLOSED');

      store = await target.open();
      expect((await store.getDocument('durable'))!.chunks.map((c) => c.text)).toEqual(['written before the restart']);
      expect((await store.searchVector(vec(30), 1))[0].documentId).toBe('durable');
      expect((await store.searchText('restart', 1))[0].documentId).toBe('durable');
      expect(await store.getApiKeyByHash(key.keyHash)).toEqual(key);
      expect(await store.getUsage(key.id, '2026-04-01')).toMatchObject({ requests: 2, tokensIn: 7 });
      expect((await store.getConversationBySession('sess-durable'))!.turns.map((t) => t.text)).toEqual(['still here?']);
    });
  });
}

storeSuite('sqlite', sqliteTarget);
storeSuite('postgres', pgTarget);

describe('openStore', () => {
  it('routes URLs to a dialect and refuses other schemes with a code', () => {
    expect(resolveStoreTarget('postgres://u@h:5432/db')).toEqual({ dialect: 'postgres', url: 'postgres://u@h:5432/db' });
    expect(resolveStoreTarget('postgresql://u@h/db')).toMatchObject({ dialect: 'postgres' });
    expect(resolveStoreTarget(undefined)).toEqual({ dialect: 'sqlite', path: './data/switchyard.db' });
    expect(resolveStoreTarget('')).toEqual({ dialect: 'sqlite', path: './data/switchyard.db' });
    expect(resolveStoreTarget(':memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
    expect(resolveStoreTarget('sqlite:./x/y.db')).toEqual({ dialect: 'sqlite', path: './x/y.db' });
    expect(resolveStoreTarget('/var/lib/sy.db')).toEqual({ dialect: 'sqlite', path: '/var/lib/sy.db' });
    for (const bad of ['mysql://root@localhost/db', 'https://example.com/db']) {
      expect(() => resolveStoreTarget(bad)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_URL' }));
    }
  });

  it('creates the SQLite directory, uses WAL with synchronous=NORMAL, and checks options', async () => {
    const t = await sqliteTarget();
    try {
      const s = await t.open();
      await s.close();
      expect(existsSync(t.path)).toBe(true);
      const raw = new Database(t.path, { readonly: true });
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      raw.close();
      await expectCode(openStore(t.path, { dimensions: 0, embeddingVersion: 'x', domain: 'test' }), 'INVALID_INPUT');
      await expectCode(openStore(t.path, { dimensions: 10, embeddingVersion: '', domain: 'test' }), 'INVALID_INPUT');
      await expectCode(openStore(t.path, { dimensions: 10, embeddingVersion: 'x', domain: '../Other Bank' }), 'INVALID_INPUT');
      const mem = await openStore(':memory:', OPTS);
      expect(mem.dialect).toBe('sqlite');
      await mem.close();
    } finally {
      await t.cleanup();
    }
  });

  it('gives each PostgreSQL embedder an HNSW index of its own width that the planner uses, and lists the ones no chunk uses', async () => {
    const t = await pgTarget();
    const admin = new pg.Client({ connectionString: t.url });
    const opened: Store[] = [];
    const open = async (dimensions: number, embeddingVersion: string) => {
      const s = await t.open({ dimensions, embeddingVersion, domain: 'test' });
      opened.push(s);
      return s;
    };
    try {
      await admin.connect();
      const indexes = async () => (await admin.query<{ indexname: string; indexdef: string }>(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'chunks' AND indexname LIKE 'chunks_embedding_hnsw_%' ORDER BY indexname`)).rows;
      const minilm = await open(384, 'minilm@1');
      const unit = (n: number, i: number) => Object.assign(new Float32Array(n), { [i % n]: 1, [(i + 1) % n]: 0.5 });
      await minilm.upsertDocument({ id: 'm', title: 'M', contentHash: 'm' }, Array.from({ length: 50 }, (_, i) => chunk(`m${i}`, unit(384, i))));
      const defaults = await open(DIMS, VERSION);
      await defaults.upsertDocument({ id: 'd', title: 'D', contentHash: 'd' }, [chunk('d0', vec(0)), chunk('d1', vec(1))]);
      expect((await indexes()).map((i) => i.indexname)).toEqual([vectorIndexName(VERSION, DIMS), vectorIndexName('minilm@1', 384)].sort());
      const def = (await indexes()).find((i) => i.indexname === vectorIndexName('minilm@1', 384))!.indexdef;
      expect(def).toMatch(/USING hnsw \(\(\(embedding\)::vector\(384\)\) vector_cosine_ops\) WHERE/);
      // Each searches its own chunks; the 384-d query plan goes through its HNSW index.
      const top = (await minilm.searchVector(unit(384, 7), 3)).map((h) => h.text);
      expect([top[0], [...top.slice(1)].sort()]).toEqual(['m7', ['m6', 'm8']]); // m6 and m8 tie
      expect((await defaults.searchVector(vec(1), 5)).map((h) => h.text)).toEqual(['d1', 'd0']);
      const q = `[${Array.from(unit(384, 7)).join(',')}]`;
      await admin.query('SET enable_seqscan = off');
      const plan = (await admin.query(`EXPLAIN SELECT c.id FROM chunks c WHERE ${vectorPredicate('minilm@1', 384, 'c.')} ORDER BY c.embedding::vector(384) <=> '${q}'::vector(384) LIMIT 5`)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain(vectorIndexName('minilm@1', 384));
      // Once no chunk of the default embedder is left, its index is listed as unused (and kept:
      // an instance with that embedder may be starting).
      expect(await unusedVectorIndexes(admin)).toEqual([]);
      await defaults.deleteDocument('d');
      await open(384, 'minilm@1');
      expect(await unusedVectorIndexes(admin)).toEqual([{ name: vectorIndexName(VERSION, DIMS), version: VERSION }]);
      expect((await indexes()).map((i) => i.indexname)).toHaveLength(2);
      // Wider than HNSW takes (2000): no index, exact search.
      const huge = await open(2048, 'huge@1');
      await huge.upsertDocument({ id: 'h', title: 'H', contentHash: 'h' }, [chunk('h0', unit(2048, 3)), chunk('h1', unit(2048, 900))]);
      expect((await huge.searchVector(unit(2048, 900), 1))[0].text).toBe('h1');
      expect((await indexes()).map((i) => i.indexname)).toHaveLength(2);
    } finally {
      for (const s of opened) await s.close();
      await admin.end();
      await t.cleanup();
    }
  });
});
