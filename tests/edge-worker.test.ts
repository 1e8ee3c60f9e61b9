/**
 * The edge Worker in real workerd (wrangler dev), in front of the real regional service on
 * localhost. A TCP switch between them simulates a region that is down or slow.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseParser, type ChatEvent, type RouteEvent } from '../shared/api/chat.ts';
import type { EdgeProcess } from '../scripts/edge-process.ts';
import { startEdgeStack, type EdgeStack } from './helpers/edge-stack.ts';
import type { SwitchProxy } from './helpers/switch-proxy.ts';

let stack: EdgeStack;
let proxy: SwitchProxy;
let edge: EdgeProcess;
const UPSTREAM_TIMEOUT_MS = 1500;

beforeAll(async () => {
  ({ proxy, edge } = stack = await startEdgeStack('sy-edge-', 18000, { UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS) }));
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

// Each message its own session: these tests are about single answers, and one session would
// meet the edge's per-session limit (30 a minute) on a fast machine.
let sessions = 0;
async function chat(message: string, init: { headers?: Record<string, string>; json?: boolean } = {}) {
  const res = await fetch(`${edge.url}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(init.json ? { accept: 'application/json' } : {}), ...init.headers },
    body: JSON.stringify({ message, sessionId: `test-session-${++sessions}` }),
  });
  expect(res.status).toBe(200);
  if (init.json) return { ...(await res.json()), events: [] as ChatEvent[], headers: res.headers };
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const parser = new SseParser();
  const events = parser.push(await res.text());
  const route = events.find((e) => e.event === 'route')?.data as RouteEvent;
  const text = events.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text).join('');
  const done = events.find((e) => e.event === 'done')?.data as { latencyMs: Record<string, number> };
  expect(events[0].event).toBe('route');
  expect(events.at(-1)!.event).toBe('done');
  return { route, text, done, events, headers: res.headers };
}

/** Cache writes happen after the response (waitUntil): poll until the entry is visible. */
async function untilCached(message: string, tries = 20) {
  for (let i = 0; i < tries; i++) {
    const r = await chat(message);
    if (r.route.path === 'cache') return r;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(`"${message}" never became a cache hit`);
}

describe('edge worker in workerd', () => {
  it('loads the sha256-checked models and reports them', async () => {
    const health = await (await fetch(`${edge.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', models: 'ready' });
    const { models } = await (await fetch(`${edge.url}/v1/models`)).json();
    const manifest = JSON.parse(readFileSync('models/default/store-intent/manifest.json', 'utf8'));
    expect(models.find((m: { role: string }) => m.role === 'intent-classifier').sha256).toBe(manifest.files['onnx/model_quantized.onnx']);
  });

  it('warms its chat pipeline as the load ends, without answering, asking the region or writing a session', async () => {
    const health = await (await fetch(`${edge.url}/healthz`)).json();
    // Timed among the load's phases: it ran before the load counted as settled.
    expect(health.phases['chat.warmup'].ms).toBeGreaterThanOrEqual(0);
    const metrics = await (await fetch(`${edge.url}/metrics`)).text();
    expect(metrics).not.toMatch(/switchyard_edge_answers_total\{[^}]*\} [1-9]/);
    expect(metrics).not.toMatch(/switchyard_edge_cache_lookups_total\{[^}]*\} [1-9]/);
    expect(proxy.heads.some((h) => h.startsWith('POST /v1/generate'))).toBe(false);
    const { turns } = await (await fetch(`${edge.url}/v1/sessions/warm-up/turns`)).json();
    expect(turns).toEqual([]);
    // Its throwaway session went through a real object (created, written, read) and was cleared:
    // no object holds a turn and no expiry alarm is left (wrangler's local store, read as files).
    const ns = join(stack.dir, 'wrangler', 'v3', 'do', 'switchyard-edge-SessionStore');
    const objects = readdirSync(ns).filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
    expect(objects.length).toBeGreaterThanOrEqual(1);
    for (const f of objects) {
      const db = new Database(join(ns, f), { readonly: true });
      const kv = db.prepare("SELECT name FROM sqlite_master WHERE name = '_cf_KV'").get();
      expect(kv ? db.prepare('SELECT count(*) AS n FROM _cf_KV').get() : { n: 0 }).toEqual({ n: 0 });
      db.close();
    }
    expect(existsSync(join(ns, 'metadata.sqlite'))).toBe(true);
    const alarms = new Database(join(ns, 'metadata.sqlite'), { readonly: true });
    expect(alarms.prepare('SELECT count(*) AS n FROM _cf_ALARM').get()).toEqual({ n: 0 });
    alarms.close();
  });

  it('classifies a batch and refuses more than 64 texts', async () => {
    const res = await fetch(`${edge.url}/v1/classify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ texts: ['do you ship to canada', 'hello there', 'where is my order KB-10492'] }),
    });
    const body = await res.json();
    expect(body.results.map((r: { intent: string }) => r.intent)).toEqual(['shipping_info', 'greeting_chitchat', 'order_status']);
    const big = await fetch(`${edge.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ texts: Array(65).fill('hi') }) });
    expect(big.status).toBe(400);
    expect((await big.json()).error.code).toBe('INVALID_REQUEST');
  });

  it('answers template intents at the edge without calling the region', async () => {
    const before = proxy.connections;
    const r = await chat('what is your return policy?');
    expect(r.route).toMatchObject({ path: 'template', intent: 'return_policy', fallbacks: [] });
    expect(r.text).toMatch(/30 days/);
    const hi = await chat('hello!');
    expect(hi.route.path).toBe('template');
    // A confidently out-of-scope message is declined from the oos template, with no LLM either.
    const poem = await chat('write me a poem about cats');
    expect(poem.route).toMatchObject({ path: 'template', intent: 'oos' });
    expect(poem.text).toMatch(/outside what I can help with/);
    expect(proxy.connections).toBe(before);
  });

  it('streams LLM-path answers from the region and passes the trace on', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const r = await chat('can you recommend a dark fantasy manga like berserk?', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(r.route).toMatchObject({ path: 'llm', intent: 'recommendation', traceId, generator: 'extractive' });
    expect(r.events.filter((e: ChatEvent) => e.event === 'delta').length).toBeGreaterThan(1);
    expect(r.text.length).toBeGreaterThan(20);
    expect(r.done.latencyMs.upstream).toBeGreaterThan(0);
    expect(proxy.heads.some((h) => h.startsWith('POST /v1/generate') && h.toLowerCase().includes(`traceparent: 00-${traceId}-`))).toBe(true);
    expect(r.headers.get('x-trace-id')).toBe(traceId);
  });

  it('caches cacheable answers, and never answers Hawaii with the Alaska answer', async () => {
    const first = await chat('how much does shipping to alaska cost?');
    expect(first.route.path).toBe('llm');
    const hit = await untilCached('how much does shipping to alaska cost?');
    expect(hit.route.cache?.similarity).toBeGreaterThan(0.99);
    expect(hit.text).toBe(first.text);
    const hawaii = await chat('how much does shipping to hawaii cost?');
    expect(hawaii.route.path).toBe('llm');
    const again = await chat('How much does shipping to Alaska cost');
    expect(again.route.path).toBe('cache');
  });

  it('asks the region once for concurrent first askings of one cacheable question (single flight)', async () => {
    // The region's answers, counted once each turn is recorded (after its response).
    const answered = async () => (await stack.regional.services.metrics.answers.get()).values.reduce((a, v) => a + v.value, 0);
    const before = await answered();
    const q = 'how much does shipping to canada cost?';
    const replies = await Promise.all(Array.from({ length: 4 }, () => chat(q)));
    await new Promise((r) => setTimeout(r, 500));
    expect((await answered()) - before).toBe(1);
    // The followers waited for the leader's LLM answer: path llm, marked coalesced (not cache hits), the wait as upstream time.
    const leader = replies.filter((r) => !r.route.cache?.coalesced);
    const followers = replies.filter((r) => r.route.cache?.coalesced === true);
    expect(leader).toHaveLength(1);
    expect(followers).toHaveLength(3);
    expect(replies.every((r) => r.route.path === 'llm')).toBe(true);
    expect(followers.every((r) => r.text === leader[0].text && r.done.latencyMs.upstream > 0)).toBe(true);
  });

  it('answers a price question naming one title from the catalog row through the region, then from the cache', async () => {
    const first = await chat('how much is One Piece volume 2?');
    expect(first.route.intent).toBe('price_availability');
    expect(first.route.path).toBe('template');
    expect(first.route.generator).toBe('catalog');
    expect(first.text).toBe('One Piece, Vol. 2 is $9.99 and in stock (31 copies).');
    const again = await untilCached('how much is One Piece volume 2?');
    expect(again.text).toBe(first.text);
    const other = await chat('how much is One Piece volume 3?'); // another volume: another key frame
    expect(other.route.path).toBe('template');
    expect(other.text).toMatch(/^One Piece, Vol\. 3 is \$/);
  });

  it('serves a reworded question from its key frame, refuses a hard negative, and says why', async () => {
    const cfg = JSON.parse(readFileSync('domains/kitsune-books/cache.json', 'utf8'));
    const hitT = cfg.thresholds.intents.product_question;
    await chat('Is the Berserk Deluxe Edition a hardcover?');
    await untilCached('Is the Berserk Deluxe Edition a hardcover?');
    const para = await chat('what format is the Berserk deluxe edition?');
    expect(para.route.path).toBe('cache');
    expect(para.route.cache).toMatchObject({ stale: false, threshold: hitT, frame: { intent: 'product_question', aspect: 'format', qualifier: '' } });
    expect(para.route.cache!.frame!.entities).toMatch(/product:berserk/);
    expect(para.route.cache!.frame!.entities).not.toMatch(/hardcover/);
    expect(para.route.cache!.similarity).toBeGreaterThanOrEqual(hitT);
    expect(para.route.decision).toMatchObject({ confident: true, cache: { hit: true, threshold: hitT } });
    expect(para.route.decision!.confidence).toBeGreaterThanOrEqual(para.route.decision!.routeThreshold);
    // Same title, another aspect: near in wording (cosine ~0.8) but never the format answer.
    const age = await chat('What is the age rating of the Berserk Deluxe Edition?');
    expect(age.route.path).toBe('llm');
    expect(age.route.decision?.cache).toMatchObject({ hit: false, similarity: null, frame: { aspect: 'age_rating' } });
    // Same aspect, a conflicting asked-about value: cosine ~0.98, refused by the qualifier.
    const paperback = await chat('is the Berserk Deluxe Edition a paperback?');
    expect(paperback.route.path).toBe('llm');
    expect(paperback.route.decision?.cache).toMatchObject({ hit: false, frame: { aspect: 'format', qualifier: 'paperback' } });
  });

  it('explains the intent with the words that drove it, in chat and in /v1/classify', async () => {
    const res = await fetch(`${edge.url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ message: 'where do I enter a discount code?', sessionId: 'explain', explain: true }),
    });
    const reply = await res.json();
    const tokens = reply.route.decision.tokens as { token: string; weight: number }[];
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.map((t) => t.token)).toContain('discount');
    expect(tokens[0].weight).toBeGreaterThan(0);
    const plain = await (await fetch(`${edge.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ texts: ['how long does shipping to Japan take'] }) })).json();
    expect(plain.results[0]).toMatchObject({ intent: 'shipping_info', path: 'cache', frame: { aspect: 'time', entities: 'place:japan' } });
    expect(plain.results[0].decision.tokens).toBeUndefined();
    expect(plain.results[0].decision).toHaveProperty('routeThreshold');
    const explained = await (await fetch(`${edge.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ texts: ['how long does shipping to Japan take'], explain: true }) })).json();
    expect(explained.results[0].decision.tokens.map((t: { token: string }) => t.token)).toContain('shipping');
  });

  it('invalidates the cache with the admin key only', async () => {
    await untilCached('can I pay with paypal?');
    const none = await fetch(`${edge.url}/v1/cache`, { method: 'DELETE' });
    expect(none.status).toBe(401);
    const wrong = await fetch(`${edge.url}/v1/cache`, { method: 'DELETE', headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(403);
    expect((await wrong.json()).error.code).toBe('FORBIDDEN');
    const ok = await fetch(`${edge.url}/v1/cache`, { method: 'DELETE', headers: { authorization: 'Bearer dev-admin-key' } });
    expect(ok.status).toBe(200);
    expect((await ok.json()).deleted).toBeGreaterThanOrEqual(1);
    expect((await chat('can I pay with paypal?')).route.path).toBe('llm');
  });

  it('deletes one cache entry by id, or an intent\'s entries, with the admin key only', async () => {
    const admin = { authorization: 'Bearer dev-admin-key' };
    const hit = await untilCached('which cards do you take at checkout?');
    const id = hit.route.cache!.entryId;
    expect((await fetch(`${edge.url}/v1/cache/entries/${id}`, { method: 'DELETE' })).status).toBe(401);
    expect((await fetch(`${edge.url}/v1/cache/entries/${id}`, { method: 'DELETE', headers: { authorization: 'Bearer nope' } })).status).toBe(403);
    const ok = await fetch(`${edge.url}/v1/cache/entries/${id}`, { method: 'DELETE', headers: admin });
    expect(await ok.json()).toEqual({ id, deleted: true });
    const again = await fetch(`${edge.url}/v1/cache/entries/${id}`, { method: 'DELETE', headers: admin });
    expect(again.status).toBe(404);
    expect((await again.json()).error.code).toBe('NOT_FOUND');
    expect((await chat('which cards do you take at checkout?')).route.path).toBe('llm');

    const cached = await untilCached('how long does shipping to japan take?');
    const intent = cached.route.intent;
    const bad = await fetch(`${edge.url}/v1/cache?intent=${encodeURIComponent('no spaces!')}`, { method: 'DELETE', headers: admin });
    expect(bad.status).toBe(400);
    const other = await fetch(`${edge.url}/v1/cache?intent=recommendation`, { method: 'DELETE', headers: admin });
    expect((await other.json()).deleted).toBe(0);
    expect((await chat('how long does shipping to japan take?')).route.path).toBe('cache');
    const byIntent = await fetch(`${edge.url}/v1/cache?intent=${intent}`, { method: 'DELETE', headers: admin });
    expect(await byIntent.json()).toMatchObject({ intent, deleted: expect.any(Number) });
    expect((await chat('how long does shipping to japan take?')).route.path).toBe('llm');
  });

  it('serves a marked stale answer or a handoff when the region is down', async () => {
    await untilCached('do you ship to canada?');
    proxy.mode = 'refuse';
    try {
      // Not a confident classification (so no normal lookup), same key frame (availability, Canada),
      // cosine 0.39: over the stale threshold, which the region being down allows (cache.json).
      const stale = await chat('can I get books sent to canada');
      expect(stale.route.path).toBe('cache');
      expect(stale.route.cache?.stale).toBe(true);
      expect(stale.route.fallbacks).toContain('region_unavailable');
      const handoff = await chat('what should I read after frieren?');
      expect(handoff.route).toMatchObject({ path: 'fallback' });
      expect(handoff.text).toMatch(/support@kitsunebooks\.example/);
    } finally {
      proxy.mode = 'pass';
    }
  });

  it('does not hang the client when the region is slow', async () => {
    proxy.mode = 'hang';
    try {
      const t0 = Date.now();
      const r = await chat('which isekai light novels do you recommend?');
      expect(r.route.path).toBe('fallback');
      expect(r.route.fallbacks).toContain('region_timeout');
      expect(Date.now() - t0).toBeLessThan(UPSTREAM_TIMEOUT_MS + 8000);
    } finally {
      proxy.mode = 'pass';
    }
  });

  it('replies with one JSON document when asked to', async () => {
    const r = await chat('hi', { json: true });
    expect(r.route.path).toBe('template');
    expect(typeof r.text).toBe('string');
    expect(r.done.latencyMs.total).toBeGreaterThanOrEqual(0);
    // the follow-up resolution is a part of its own (it ran inside no part before)
    expect(r.done.latencyMs.resolve).toBeGreaterThanOrEqual(0);
    expect(r.done.latencyMs.resolve).toBeLessThanOrEqual(r.done.latencyMs.total);
  });

  it('rejects bad input with 4xx codes', async () => {
    const post = (body: string, type = 'application/json') => fetch(`${edge.url}/v1/chat`, { method: 'POST', headers: { 'content-type': type }, body });
    const cases: [Promise<Response>, number, string][] = [
      [post('{"message": "hi", '), 400, 'INVALID_JSON'],
      [post(''), 400, 'INVALID_JSON'],
      [post(JSON.stringify({ message: 'hi' })), 400, 'INVALID_REQUEST'],
      [post(JSON.stringify({ message: '   ', sessionId: 's' })), 400, 'INVALID_REQUEST'],
      [post(JSON.stringify({ message: 42, sessionId: 's' })), 400, 'INVALID_REQUEST'],
      [post(JSON.stringify({ message: 'x'.repeat(1024 * 1024), sessionId: 's' })), 413, 'PAYLOAD_TOO_LARGE'],
      [post(JSON.stringify({ message: 'x'.repeat(5000), sessionId: 's' })), 400, 'INVALID_REQUEST'],
      [post('message=hi', 'application/x-www-form-urlencoded'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [fetch(`${edge.url}/v1/nope`), 404, 'NOT_FOUND'],
    ];
    for (const [p, status, code] of cases) {
      const res = await p;
      expect(res.status).toBe(status);
      expect((await res.json()).error.code).toBe(code);
    }
  });

  it('serves 200 concurrent requests (from 200 clients: one client alone is rate-limited) without an error', async () => {
    const messages = ['hello', 'what are your support hours?', 'how much does shipping to alaska cost?', 'can I return an opened box set?', 'thanks!'];
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        fetch(`${edge.url}/v1/chat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', 'cf-connecting-ip': `192.0.2.${i % 250}` },
          body: JSON.stringify({ message: messages[i % messages.length], sessionId: `c${i}` }),
        }).then(async (r) => ({ status: r.status, body: await r.json() })),
      ),
    );
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    expect(results.every((r) => r.body.route && r.body.text.length > 0)).toBe(true);
  });

  it('counts answers by path in its Prometheus metrics', async () => {
    const text = await (await fetch(`${edge.url}/metrics`)).text();
    const count = (path: string) => Number(text.match(new RegExp(`switchyard_edge_answers_total\\{path="${path}"\\} (\\d+)`))?.[1] ?? 0);
    expect(count('template')).toBeGreaterThan(100);
    expect(count('cache')).toBeGreaterThan(0);
    expect(count('fallback')).toBeGreaterThan(0);
    expect(text).toMatch(/switchyard_edge_fallbacks_total\{kind="region_timeout"\} \d+/);
    expect(Number(text.match(/switchyard_edge_llm_bypass_ratio ([\d.]+)/)?.[1])).toBeGreaterThan(0.5);
  });

  it('bundles exactly the migrations in edge/migrations', () => {
    const files = readdirSync('edge/migrations').filter((f) => f.endsWith('.sql')).sort();
    const registered = [...readFileSync('edge/src/cache/migrations.ts', 'utf8').matchAll(/name: '([^']+)'/g)].map((m) => m[1]).sort();
    expect(registered).toEqual(files);
  });
});
