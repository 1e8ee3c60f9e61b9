/**
 * The regional service against the hostile inputs of issue 20, on SQLite and PostgreSQL: text the
 * vocabulary lacks is stored and found by text search, bad documents and NUL bytes are 400s with a
 * code on both databases, limits answer 429 with Retry-After, quotas count a request's size, the
 * edge's hints need the edge's key, and a turn the store refuses at first is retried and counted.
 */
import { describe, expect, it } from 'vitest';
import type { RunningRegional } from '../regional/src/server.ts';
import { regionalOnDatabase } from './helpers/regional-on-database.ts';

const EDGE = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json' };
const ADMIN = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };
const JSON_ACCEPT = { accept: 'application/json' };

describe.each(['sqlite', 'postgres'] as const)('regional hardening on %s', (dialect) => {
  let r: RunningRegional;
  regionalOnDatabase(dialect, 'sy-harden-', 'h.db', (running) => (r = running));

  const post = (path: string, body: unknown, headers: Record<string, string> = EDGE) =>
    fetch(r.url + path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const errorOf = async (res: Response) => ({ status: res.status, code: ((await res.json()) as { error?: { code?: string } }).error?.code });
  const counter = async (name: string, labels: string) => Number((await (await fetch(r.url + '/metrics')).text()).match(new RegExp(`${name}\\{${labels}\\} (\\d+)`))?.[1] ?? 0);

  it('stores text in scripts the vocabulary lacks without a vector and finds it by text search', async () => {
    const docs = [
      { id: 'ja-shipping', title: '配送', text: '漫画の配送について。日本への発送は三日です。送料は全国一律五百円です。' },
      { id: 'ar-returns', title: 'الإرجاع', text: 'يمكن إرجاع الكتب خلال ثلاثين يوما من تاريخ الاستلام' },
      { id: 'he-hours', title: 'שעות', text: 'שירות הלקוחות פתוח בימים ראשון עד חמישי' },
      { id: 'digits', title: 'numbers', text: '１２３ ① ② ③' },
      { id: 'long-word', title: 'long word', text: 'x'.repeat(4001) },
    ];
    for (const d of docs) expect((await post('/v1/kb/documents', d, ADMIN)).status).toBe(201);
    const ja = await r.services.store.getDocument('ja-shipping');
    expect(ja!.chunks.every((c) => c.embeddingVersion === null)).toBe(true);

    // Japanese question sharing no whole word with the passage (no spaces): found by its trigrams.
    const jaHits = await r.services.store.searchText('日本への発送は何日かかりますか', 5);
    expect(jaHits[0]?.documentId).toBe('ja-shipping');
    // A two-character query (too short for a trigram) still finds it.
    expect((await r.services.store.searchText('送料', 5)).map((h) => h.documentId)).toContain('ja-shipping');
    expect((await r.services.store.searchText('الكتب', 5)).map((h) => h.documentId)).toContain('ar-returns');

    // The chat path answers it from the knowledge base, text search alone, instead of failing.
    const res = await post('/v1/generate', { message: '日本への発送は何日かかりますか', sessionId: 'ja-1' }, { ...EDGE, ...JSON_ACCEPT });
    expect(res.status).toBe(200);
    const j = await res.json();
    expect(j.done.sources.map((s: { id: string }) => s.id)).toContain('ja-shipping');
    expect(j.route.fallbacks).toContain('query_out_of_vocabulary');
  });

  it('refuses malformed documents with 400 and a code', async () => {
    // Built as text: JSON.stringify itself overflows the stack on 5,000 levels.
    const deepBody = `{"id":"bad-doc","title":"Bad","text":"x","metadata":${'{"d":'.repeat(5000)}"leaf"${'}'.repeat(5000)}}`;
    let nine: unknown = 'leaf';
    for (let i = 0; i < 9; i++) nine = { d: nine };
    const base = { id: 'bad-doc', title: 'Bad', text: 'Some text about shipping.' };
    const cases: [unknown, string][] = [
      [{ ...base, text: '   \n\t ' }, 'text'],
      [{ ...base, title: '   ' }, 'title'],
      [{ ...base, chunkSize: 100, chunkOverlap: 51 }, 'chunkOverlap'],
      [{ ...base, chunkOverlap: 60 }, 'chunkOverlap'],
      [deepBody, 'nested'],
      [{ ...base, metadata: nine }, 'metadata'],
      [{ ...base, metadata: { blob: 'x'.repeat(70_000) } }, 'metadata'],
      [{ ...base, url: 'javascript:alert(1)' }, 'url'],
      [{ ...base, url: 'data:text/html,<b>x</b>' }, 'url'],
      [{ ...base, url: 'file:///etc/passwd' }, 'url'],
      [{ ...base, text: 'before\u0000after' }, 'NUL'],
      [{ ...base, title: 'nul\u0000title' }, 'NUL'],
      [{ ...base, metadata: { k: 'v\u0000' } }, 'NUL'],
      [{ ...base, metadata: { 'k\u0000': 'v' } }, 'NUL'],
    ];
    for (const [body, mentions] of cases) {
      const res = await post('/v1/kb/documents', body, ADMIN);
      const j = await res.json();
      expect({ status: res.status, code: j.error?.code }).toEqual({ status: 400, code: 'INVALID_REQUEST' });
      expect(j.error.message).toContain(mentions);
    }
    let ok: unknown = 'leaf';
    for (let i = 0; i < 5; i++) ok = { d: ok };
    expect((await post('/v1/kb/documents', { ...base, id: 'ok-doc', url: 'https://example.com/x', metadata: { ok } }, ADMIN)).status).toBe(201);
  });

  it('refuses NUL bytes in chat messages and session ids with 400, storing nothing', async () => {
    for (const body of [
      { message: 'hello\u0000there', sessionId: 'nul-1' },
      { message: 'hello', sessionId: 'nul\u00002' },
    ]) {
      expect(await errorOf(await post('/v1/generate', body, { ...EDGE, ...JSON_ACCEPT }))).toEqual({ status: 400, code: 'INVALID_REQUEST' });
    }
    expect(await r.services.store.getConversationBySession('nul-1')).toBeNull();
  });

  it('retries a turn the store refuses at first, and counts a turn it never takes as lost', async () => {
    const store = r.services.store;
    const append = store.appendTurns.bind(store);
    let failures = 1;
    store.appendTurns = async (...a) => {
      if (failures-- > 0) throw new Error('connection reset');
      return append(...a);
    };
    const retriedBefore = await counter('switchyard_turn_writes_total', 'result="retried"');
    try {
      expect((await post('/v1/generate', { message: 'what are your support hours?', sessionId: 'retry-1' }, { ...EDGE, ...JSON_ACCEPT })).status).toBe(200);
      expect((await store.getConversationBySession('retry-1'))?.turns.map((t) => t.role)).toEqual(['user', 'assistant']);
      expect(await counter('switchyard_turn_writes_total', 'result="retried"')).toBe(retriedBefore + 1);
      failures = 100;
      const lostBefore = await counter('switchyard_turn_writes_total', 'result="lost"');
      expect((await post('/v1/generate', { message: 'what are your support hours?', sessionId: 'retry-2' }, { ...EDGE, ...JSON_ACCEPT })).status).toBe(200);
      expect(await counter('switchyard_turn_writes_total', 'result="lost"')).toBe(lostBefore + 1);
    } finally {
      store.appendTurns = append;
    }
  });

  it("honours the edge's hints only from the edge's key", async () => {
    const issued = await (await post('/v1/admin/keys', { name: 'hinting-partner', rateLimitPerMinute: 100, dailyTokenQuota: null }, ADMIN)).json();
    const P = { authorization: `Bearer ${issued.key}`, 'content-type': 'application/json', ...JSON_ACCEPT };
    const hinted = { message: 'what is your return window?', sessionId: 'hint-1', intent: 'order_status', confidence: 1, priority: 'high', cacheable: true };
    const fromPartner = await (await post('/v1/generate', hinted, P)).json();
    expect(fromPartner.route.modelVersion).not.toBe('edge');
    expect(fromPartner.route.intent).not.toBe('order_status');
    const fromEdge = await (await post('/v1/generate', hinted, { ...EDGE, ...JSON_ACCEPT })).json();
    expect(fromEdge.route.modelVersion).toBe('edge');
    expect(fromEdge.route.intent).toBe('order_status');
  });

  it('answers every 429 with Retry-After, keeps /v1/usage readable and checks quotas against the request size', async () => {
    const limited = await (await post('/v1/admin/keys', { name: 'tiny-rate', rateLimitPerMinute: 1, dailyTokenQuota: null }, ADMIN)).json();
    const L = { authorization: `Bearer ${limited.key}`, 'content-type': 'application/json' };
    expect((await post('/v1/embeddings', { input: 'x' }, L)).status).toBe(200);
    const rate = await post('/v1/embeddings', { input: 'x' }, L);
    // /v1/embeddings speaks OpenAI's error shape: rate_limit_exceeded is RATE_LIMITED.
    expect(await errorOf(rate.clone())).toEqual({ status: 429, code: 'rate_limit_exceeded' });
    expect(Number(rate.headers.get('retry-after'))).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) expect((await fetch(r.url + '/v1/usage', { headers: L })).status).toBe(200);

    const quota = await (await post('/v1/admin/keys', { name: 'tiny-quota', rateLimitPerMinute: 100, dailyTokenQuota: 50 }, ADMIN)).json();
    const Q = { authorization: `Bearer ${quota.key}`, 'content-type': 'application/json' };
    // One request far over the whole quota is refused before it runs, and nothing is spent.
    const big = await post('/v1/embeddings', { input: Array.from({ length: 16 }, () => 'word '.repeat(400)) }, Q);
    expect(await errorOf(big.clone())).toEqual({ status: 429, code: 'insufficient_quota' });
    const wait = Number(big.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(86_400);
    expect((await (await fetch(r.url + '/v1/usage', { headers: Q })).json()).tokensIn).toBe(0);
    expect((await post('/v1/rerank', { query: 'q', documents: ['a'.repeat(4000)] }, Q)).status).toBe(429);
    expect((await post('/v1/generate', { message: 'm'.repeat(400), sessionId: 'quota-1' }, { ...Q, ...JSON_ACCEPT })).status).toBe(429);
    // A request that fits is served.
    expect((await post('/v1/embeddings', { input: 'small request' }, Q)).status).toBe(200);

    // A mid-stream failover's continuation is prefilled text the next target reads: it counts too.
    const edgeQuota = await (await post('/v1/admin/keys', { name: 'tiny-edge-quota', role: 'edge', rateLimitPerMinute: 100, dailyTokenQuota: 50 }, ADMIN)).json();
    const E = { authorization: `Bearer ${edgeQuota.key}`, 'content-type': 'application/json', ...JSON_ACCEPT };
    const continued = await post('/v1/generate', { message: 'how long does shipping take?', sessionId: 'quota-2', continuation: { text: 'Standard shipping takes '.repeat(10) } }, E);
    expect(await errorOf(continued.clone())).toEqual({ status: 429, code: 'QUOTA_EXCEEDED' });
    expect((await (await fetch(r.url + '/v1/usage', { headers: E })).json()).tokensIn).toBe(0);
    // The same message without it fits.
    expect((await post('/v1/generate', { message: 'how long does shipping take?', sessionId: 'quota-3' }, E)).status).toBe(200);
  });
});
