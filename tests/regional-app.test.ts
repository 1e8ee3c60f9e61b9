/**
 * The regional service over HTTP, with its real models, SQLite store and the offline extractive
 * generator: API shapes, keys and limits, degradations, persistence.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { regionalOnDatabase } from './helpers/regional-on-database.ts';
import { tempDatabase } from './helpers/temp-database.ts';

const EDGE = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json' };
const ADMIN = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };

describe.each(['sqlite', 'postgres'] as const)('regional service on %s', (dialect) => {
  let r: RunningRegional;
  regionalOnDatabase(dialect, 'sy-regional-', 'r.db', (running) => (r = running));

  const post = (path: string, body: unknown, headers: Record<string, string> = EDGE) =>
    fetch(r.url + path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('is live and ready, and exports Prometheus metrics', async () => {
    expect((await fetch(r.url + '/readyz')).status).toBe(200);
    await post('/v1/embeddings', { input: ['warm'] });
    const text = await (await fetch(r.url + '/metrics')).text();
    expect(text).toMatch(/switchyard_batch_size_bucket\{le="1",model="embedder"\}/);
    expect(text).toMatch(/switchyard_http_requests_total\{route="\/v1\/embeddings",status="200"\}/);
  });

  it('embeds in the OpenAI shape and reranks in the Cohere shape', async () => {
    const e = await (await post('/v1/embeddings', { input: ['do you ship to alaska', 'can you deliver to alaska'] })).json();
    expect(e.object).toBe('list');
    expect(e.data).toHaveLength(2);
    expect(e.data[0].embedding).toHaveLength(100);
    expect(e.usage.prompt_tokens).toBeGreaterThan(0);
    const k = await (
      await post('/v1/rerank', { query: 'shipping to alaska', documents: ['Berserk Deluxe Edition volume 1', 'Alaska and Hawaii: flat rate $12.99 via USPS Priority Mail'], topN: 1, return_documents: true })
    ).json();
    expect(k.results).toHaveLength(1);
    expect(k.results[0].index).toBe(1);
    expect(k.results[0].document.text).toMatch(/Alaska/);
  });

  it('generates a grounded, streamed answer with sources and records the turn', async () => {
    const res = await post('/v1/generate', { message: 'How much is standard shipping to Alaska?', sessionId: 'persist-1' }, { ...EDGE, accept: 'text/event-stream' });
    expect(res.headers.get('content-type')).toMatch(/event-stream/);
    const raw = await res.text();
    expect(raw.indexOf('event: route')).toBeLessThan(raw.indexOf('event: delta'));
    expect(raw).toMatch(/\$12\.99/);
    expect(raw).toMatch(/"generator":"extractive"/);
    expect(raw).toMatch(/"sources":\[\{"id":"[^"]+"/);
    const conv = await r.services.store.getConversationBySession('persist-1');
    expect(conv?.turns.map((t) => t.role)).toEqual(['user', 'assistant']);
    expect(conv?.turns[1].routePath).toBe('llm');
  });

  it('sends each streamed event as it is made: the first text is out before the turn is stored', async () => {
    // The extractive generator and the SQLite store make the answer and store the turn without I/O
    // in between: a corked socket would hold the first text until all of it was done.
    const store = r.services.store;
    const appendTurns = store.appendTurns;
    let storedAt = Infinity;
    store.appendTurns = async (...a) => {
      const out = await appendTurns.apply(store, a);
      storedAt = Math.min(storedAt, performance.now());
      return out;
    };
    try {
      for (const [path, body, text] of [
        ['/v1/generate', { message: 'How much is standard shipping to Alaska?', sessionId: 'as-made-1' }, /event: delta/],
        ['/v1/chat/completions', { model: 'switchyard', stream: true, messages: [{ role: 'user', content: 'How much is standard shipping to Alaska?' }] }, /"delta":\{"content":"[^"]/],
      ] as const) {
        storedAt = Infinity;
        const res = await post(path, body, { ...EDGE, accept: 'text/event-stream' });
        const reader = res.body!.getReader();
        const dec = new TextDecoder();
        let seen = '';
        let firstTextAt = Infinity;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          seen += dec.decode(value, { stream: true });
          if (firstTextAt === Infinity && text.test(seen)) firstTextAt = performance.now();
        }
        expect(seen).toMatch(/\$12\.99/);
        expect(storedAt, path).toBeLessThan(Infinity);
        expect(firstTextAt, path).toBeLessThan(storedAt);
      }
    } finally {
      store.appendTurns = appendTurns;
    }
  });

  it('reports fallbacks when the reranker or the LLM is slow', async () => {
    const s = r.services;
    const savedRerank = s.rerank;
    const savedTimeout = s.config.RERANK_TIMEOUT_MS;
    s.rerank = () => new Promise(() => {});
    (s.config as { RERANK_TIMEOUT_MS: number }).RERANK_TIMEOUT_MS = 50;
    try {
      const j = await (await post('/v1/generate', { message: 'what is your return window?', sessionId: 's2' }, { ...EDGE, accept: 'application/json' })).json();
      expect(j.route.fallbacks).toContain('reranker_timeout');
      expect(j.text.length).toBeGreaterThan(20);
    } finally {
      s.rerank = savedRerank;
      (s.config as { RERANK_TIMEOUT_MS: number }).RERANK_TIMEOUT_MS = savedTimeout;
    }
  });

  it('authenticates keys, enforces roles, rate limits and quotas', async () => {
    expect((await post('/v1/embeddings', { input: 'x' }, { 'content-type': 'application/json' })).status).toBe(401);
    // /v1/embeddings speaks OpenAI's error shape (type and code).
    expect((await (await post('/v1/embeddings', { input: 'x' }, { ...EDGE, authorization: 'Bearer nope' })).json()).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
    expect((await post('/v1/kb/documents', { id: 'd', title: 't', text: 'x' })).status).toBe(403);
    const issued = await (await post('/v1/admin/keys', { name: 'partner-a', rateLimitPerMinute: 3, dailyTokenQuota: 40 }, ADMIN)).json();
    const P = { authorization: `Bearer ${issued.key}`, 'content-type': 'application/json' };
    expect((await post('/v1/embeddings', { input: 'a'.repeat(120) }, P)).status).toBe(200);
    // 30 tokens spent: a 15-token request would pass the quota of 40, so it is refused before it runs.
    const overQuota = await post('/v1/embeddings', { input: 'b'.repeat(60) }, P);
    expect(overQuota.status).toBe(429);
    expect((await overQuota.json()).error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota' });
    const limited = await (await post('/v1/admin/keys', { name: 'partner-b', rateLimitPerMinute: 2, dailyTokenQuota: null }, ADMIN)).json();
    const L = { authorization: `Bearer ${limited.key}`, 'content-type': 'application/json' };
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await post('/v1/embeddings', { input: 'x' }, L)).status);
    expect(codes).toEqual([200, 200, 429]);
    expect((await fetch(`${r.url}/v1/admin/keys/${issued.id}`, { method: 'DELETE', headers: ADMIN })).status).toBe(200);
    const revoked = await post('/v1/embeddings', { input: 'x' }, P);
    expect(revoked.status).toBe(403);
  });

  it('ingests and removes knowledge documents', async () => {
    const doc = { id: 'promo-winter', title: 'Winter promo', text: 'Use code SNOWFOX for 15% off light novels until February 28. One use per account.' };
    expect((await post('/v1/kb/documents', doc, ADMIN)).status).toBe(201);
    const j = await (await post('/v1/generate', { message: 'is there a promo code for light novels this winter?', sessionId: 's3' }, { ...EDGE, accept: 'application/json' })).json();
    expect(j.done.sources.map((s: { id: string }) => s.id)).toContain('promo-winter');
    expect((await fetch(`${r.url}/v1/kb/documents/promo-winter`, { method: 'DELETE', headers: ADMIN })).status).toBe(200);
    expect((await fetch(`${r.url}/v1/kb/documents/promo-winter`, { method: 'DELETE', headers: ADMIN })).status).toBe(404);
  });

  it('rejects bad input with 4xx codes', async () => {
    const cases: [Promise<Response>, number, string][] = [
      [post('/v1/generate', '{oops'), 400, 'INVALID_JSON'],
      [post('/v1/generate', { sessionId: 's' }), 400, 'INVALID_REQUEST'],
      [post('/v1/generate', { message: 'x'.repeat(1024 * 1024), sessionId: 's' }), 413, 'PAYLOAD_TOO_LARGE'],
      [post('/v1/embeddings', { input: [] }), 400, 'invalid_value'],
      [post('/v1/rerank', { query: 'q', documents: [] }), 400, 'INVALID_REQUEST'],
      [post('/v1/kb/documents', { id: 'bad id!', title: 't', text: 'x' }, ADMIN), 400, 'INVALID_REQUEST'],
    ];
    for (const [p, status, code] of cases) {
      const res = await p;
      expect(res.status).toBe(status);
      expect((await res.json()).error.code).toBe(code);
    }
  });
});

describe('regional service with a self-hosted LLM (OpenAI-compatible, msw at the HTTP boundary)', () => {
  let dir: string;
  let r: RunningRegional;
  let mode: 'ok' | 'ungrounded' | 'hang' | 'fail' = 'ok';
  let lastModel = '';
  const server = setupServer(
    http.post('http://gpu.test/v1/chat/completions', async ({ request }) => {
      lastModel = ((await request.clone().json()) as { model: string }).model;
      if (mode === 'fail') return HttpResponse.json({ error: { message: 'overloaded' } }, { status: 503 });
      if (mode === 'hang') return new Promise<never>(() => {});
      const enc = new TextEncoder();
      const words = ['Standard ', 'shipping ', 'to ', 'Alaska ', 'is ', 'a ', 'flat ', '$12.99. ', ...(mode === 'ungrounded' ? ['Free ', 'shipping ', 'is ', 'only ', '$1.00 ', 'today.'] : [])];
      const body = new ReadableStream({
        start(c) {
          for (const w of words) c.enqueue(enc.encode(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: w } }] })}\n\n`));
          c.enqueue(enc.encode(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 120, completion_tokens: 14 } })}\n\n`));
          c.enqueue(enc.encode('data: [DONE]\n\n'));
          c.close();
        },
      });
      return new HttpResponse(body, { headers: { 'content-type': 'text/event-stream' } });
    }),
  );

  beforeAll(async () => {
    server.listen({ onUnhandledRequest: 'bypass' });
    dir = mkdtempSync(join(tmpdir(), 'sy-regional-llm-'));
    r = await startRegional(
      // No test here is about the classifier's budget (an injected slow classifier is, above): a
      // generous one keeps a loaded machine from turning a slow first classification into a fallback.
      loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'r.db'), LLM_BACKEND: 'openai', OPENAI_BASE_URL: 'http://gpu.test', LLM_FIRST_TOKEN_TIMEOUT_MS: '400', CLASSIFY_TIMEOUT_MS: '30000', LLM_PRICE_SMALL: '0.5,1', LLM_PRICE_LARGE: '2,4' }),
      () => {},
    );
  }, 120_000);
  afterAll(async () => {
    server.close();
    await r?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const generate = async (message: string) =>
    (await fetch(r.url + '/v1/generate', { method: 'POST', headers: { ...EDGE, accept: 'application/json' }, body: JSON.stringify({ message, sessionId: 'llm' }) })).json();

  it('streams the LLM answer and removes the sentence with an ungrounded price', async () => {
    mode = 'ungrounded';
    const j = await generate('how much is shipping to alaska?');
    expect(j.route).toMatchObject({ path: 'llm', fallbacks: [] });
    expect(j.done.fallbacks).toEqual(['guardrail_removed_sentences']);
    expect(j.done.cacheable).toBe(false);
    expect(j.route.generator).toMatch(/^openai:/);
    expect(j.text).toMatch(/\$12\.99/);
    expect(j.text).not.toMatch(/\$1\.00/);
    expect(j.done.usage).toMatchObject({ inputTokens: 120, outputTokens: 14 });
    // The cost estimate from LLM_PRICE_SMALL / LLM_PRICE_LARGE, by the tier that answered, recorded per key.
    const cost = lastModel === 'qwen2.5:3b' ? (120 * 0.5 + 14 * 1) / 1000 : (120 * 2 + 14 * 4) / 1000;
    expect(j.done.usage.costUsd).toBeCloseTo(cost, 9);
    const usage = await (await fetch(r.url + '/v1/usage', { headers: EDGE })).json();
    expect(usage.costUsd).toBeGreaterThanOrEqual(cost);
  });

  it("schedules an unclassified request by the region's own intent (purchase flow high, chitchat low), an explicit priority as given", async () => {
    mode = 'ok';
    const seen: (string | undefined)[] = [];
    const llm = r.services.llm;
    const generate = llm.generate.bind(llm);
    llm.generate = (req) => (seen.push(req.priority), generate(req));
    try {
      const buy = await (await fetch(r.url + '/v1/generate', { method: 'POST', headers: { ...EDGE, accept: 'application/json' }, body: JSON.stringify({ message: 'how do I pay with paypal at checkout?', sessionId: 'prio' }) })).json();
      const chat = await (await fetch(r.url + '/v1/generate', { method: 'POST', headers: { ...EDGE, accept: 'application/json' }, body: JSON.stringify({ message: 'hi there! how are you today?', sessionId: 'prio' }) })).json();
      const given = await (await fetch(r.url + '/v1/generate', { method: 'POST', headers: { ...EDGE, accept: 'application/json' }, body: JSON.stringify({ message: 'hi there! how are you today?', sessionId: 'prio', intent: 'greeting_chitchat', confidence: 0.99, priority: 'high' }) })).json();
      expect([buy.route.intent, chat.route.intent, given.route.intent]).toEqual(['purchase_help', 'greeting_chitchat', 'greeting_chitchat']);
      expect(seen).toEqual(['high', 'low', 'high']);
    } finally {
      llm.generate = generate;
    }
  });

  it('serves the remembered answer for the intent when the LLM times out, else a handoff', async () => {
    mode = 'ok';
    await generate('what does shipping to alaska cost?');
    mode = 'hang';
    const j = await generate('what does shipping to alaska cost me?');
    expect(j.route.fallbacks).toContain('llm_timeout');
    expect(j.route.path).toBe('cache');
    expect(j.text).toMatch(/\$12\.99/);
    mode = 'fail';
    const h = await generate('what manga would you recommend for a ten year old?');
    expect(h.route.path).toBe('fallback');
    // 503s are retried with back-off, so under load the first-token budget may run out first.
    expect(h.route.fallbacks.filter((f: string) => f === 'llm_unavailable' || f === 'llm_timeout')).toHaveLength(1);
    expect(h.text).toMatch(/support@kitsunebooks\.example/);
  });

  it.each(['sqlite', 'postgres'] as const)('shares remembered answers through the store (%s): a fresh instance serves one after an LLM timeout', async (dialect) => {
    const db = await tempDatabase(dialect, 'sy-remembered-', 'r.db');
    const config = { PORT: '0', DATABASE_URL: db.url, LLM_BACKEND: 'openai', OPENAI_BASE_URL: 'http://gpu.test', LLM_FIRST_TOKEN_TIMEOUT_MS: '400', CLASSIFY_TIMEOUT_MS: '30000' };
    const ask = async (at: RunningRegional, message: string) =>
      (await fetch(at.url + '/v1/generate', { method: 'POST', headers: { ...EDGE, accept: 'application/json' }, body: JSON.stringify({ message, sessionId: `remembered-${dialect}` }) })).json();
    let first: RunningRegional | undefined;
    let fresh: RunningRegional | undefined;
    try {
      first = await startRegional(loadConfig(config), () => {});
      mode = 'ok';
      expect((await ask(first, 'what does shipping to alaska cost?')).route.path).toBe('llm');
      await first.close();
      first = undefined;
      // A new process on the same database: nothing in its memory, the LLM hangs.
      fresh = await startRegional(loadConfig(config), () => {});
      mode = 'hang';
      const j = await ask(fresh, 'what does shipping to alaska cost me?');
      expect(j.route.fallbacks).toContain('llm_timeout');
      expect(j.route.path).toBe('cache');
      expect(j.text).toMatch(/\$12\.99/);
    } finally {
      mode = 'ok';
      await first?.close();
      await fresh?.close();
      await db.cleanup();
    }
  });
});
