/**
 * The order route (docs/orders.md) on both tiers: the real region (models, SQLite, its pipeline)
 * and, in the second block, the real edge Worker in workerd in front of it. The store's order system
 * and the LLM are the only mocks, at the HTTP boundary (msw): an order system speaking the stated
 * JSON shape (GET /v1/orders/{id} → the order, 404 unknown; its records also carry a name, email and
 * address, which must never come out), and an OpenAI-compatible LLM that counts its calls.
 */
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { startEdgeStack, type EdgeStack } from './helpers/edge-stack.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';

const ORDERS = 'http://orders.test';
const LLM = 'http://llm-orders.test';
const ORDER_KEY = 'order-system-secret';
const EDGE_KEY = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' };
const enc = new TextEncoder();

/** The order system's records: what it really holds, the shopper's details included. */
const RECORDS: Record<string, Record<string, unknown>> = {
  'KB-48213': { id: 'KB-48213', status: 'Shipped', placedAt: '2026-11-24', shippedAt: '2026-11-25', carrier: 'UPS Ground', trackingNumber: '1Z999AA10123456784', estimatedDelivery: '2026-12-01', customerName: 'Aiko Tanaka', email: 'aiko@example.com', shippingAddress: '12 Elm St, Springfield', total: 42.5 },
  'KB-10577': { id: 'KB-10577', status: 'processing', placedAt: '2026-12-06', customerName: 'Ben Ortiz', email: 'ben@example.com' },
};

let mode: 'up' | 'down' | 'slow' = 'up';
let lookups: { id: string; auth: string | null }[] = [];
let llmCalls = 0;
const server = setupServer(
  http.get(`${ORDERS}/v1/orders/:id`, async ({ params, request }) => {
    lookups.push({ id: String(params.id), auth: request.headers.get('authorization') });
    if (mode === 'down') return HttpResponse.json({ error: 'maintenance' }, { status: 503 });
    if (mode === 'slow') await delay(2_000);
    const rec = RECORDS[String(params.id)];
    return rec ? HttpResponse.json(rec) : HttpResponse.json({ error: 'not found' }, { status: 404 });
  }),
  http.post(`${LLM}/v1/chat/completions`, () => {
    llmCalls++;
    const chunk = (content: string) => enc.encode(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(chunk('We email a tracking link when your order ships; you can also see it under Account → Orders.'));
        c.enqueue(enc.encode('data: [DONE]\n\n'));
        c.close();
      },
    });
    return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream' } });
  }),
);
const REGION_ENV = {
  ORDER_LOOKUP_URL: `${ORDERS}/v1/orders/{id}`,
  ORDER_LOOKUP_KEY: ORDER_KEY,
  ORDER_LOOKUP_TIMEOUT_MS: '400',
  LLM_BACKEND: 'openai',
  OPENAI_BASE_URL: LLM,
  GUARDRAILS: 'off',
  // A cold classifier on a shared machine may take longer than the default 200 ms; these tests are about the lookup.
  CLASSIFY_TIMEOUT_MS: '5000',
};

beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }));
afterAll(() => server.close());
beforeEach(() => {
  mode = 'up';
  lookups = [];
  llmCalls = 0;
});

const PRIVATE = /Aiko|Tanaka|aiko@|Elm St|Springfield|42\.5|Ben Ortiz|ben@/;

describe('order route at the region (/v1/generate)', () => {
  let db: TempDatabase;
  let r: RunningRegional;
  beforeAll(async () => {
    db = await tempDatabase('sqlite', 'sy-orders-');
    r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: db.url, ...REGION_ENV }), () => {});
  }, 120_000);
  afterAll(async () => {
    await r?.close();
    await db?.cleanup();
  });

  const generate = async (body: Record<string, unknown>) => {
    const res = await fetch(`${r.url}/v1/generate`, { method: 'POST', headers: EDGE_KEY, body: JSON.stringify({ sessionId: `s-${Math.random()}`, ...body }) });
    expect(res.status).toBe(200);
    return res.json();
  };
  const fromEdge = (message: string, id?: string) => ({ message, intent: 'order_status', confidence: 0.99, resolved: { text: message, carried: [], entities: id ? [{ kind: 'order', value: id }] : [] } });

  it('answers an order id from the order record: status, carrier, tracking, dates; nothing private, no LLM, never cacheable', async () => {
    const a = await generate(fromEdge('Where is my order KB-48213?', 'kb-48213'));
    expect(a.route).toMatchObject({ path: 'template', generator: 'order', intent: 'order_status' });
    expect(a.text).toContain('Order KB-48213 shipped on November 25, 2026 with UPS Ground.');
    expect(a.text).toContain('Tracking number: 1Z999AA10123456784.');
    expect(a.text).toContain('Expected delivery: December 1, 2026.');
    expect(a.text).not.toMatch(PRIVATE);
    expect(a.done.cacheable).toBe(false);
    expect(a.done.sources).toEqual([{ id: 'order:KB-48213', title: 'Order KB-48213' }]);
    expect(llmCalls).toBe(0);
    expect(lookups).toEqual([{ id: 'KB-48213', auth: `Bearer ${ORDER_KEY}` }]);
  });

  it("adds what the status means for the question asked (a Processing order can still be cancelled)", async () => {
    const a = await generate(fromEdge('can I cancel order KB-10577?', 'kb-10577'));
    expect(a.route.generator).toBe('order');
    expect(a.text).toMatch(/^Order KB-10577 \(placed December 6, 2026\) is being processed/);
    expect(a.text).toMatch(/cancelled for free while it's Received or Processing/);
    expect(a.text).not.toMatch(PRIVATE);
  });

  it('says an unknown order id was not found and how to check it, with no LLM', async () => {
    const a = await generate(fromEdge('where is KB-99999', 'kb-99999'));
    expect(a.route).toMatchObject({ path: 'template', generator: 'order' });
    expect(a.text).toMatch(/^I couldn't find an order KB-99999\. Please check the ID: it's KB- plus 5 digits/);
    expect(a.text).toContain('Order Lookup');
    expect(a.done.cacheable).toBe(false);
    expect(llmCalls).toBe(0);
  });

  it("answers a follow-up giving the id (the edge's resolution carries it) from the order record", async () => {
    const a = await generate({ message: "it's 48213", intent: 'order_status', confidence: 0.99, resolved: { text: 'has my order shipped — KB-48213', carried: ['frame'], entities: [{ kind: 'order', value: 'kb-48213' }], confidence: 0.95 } });
    expect(a.route).toMatchObject({ path: 'template', generator: 'order' });
    expect(a.text).toMatch(/^Order KB-48213 shipped on November 25, 2026/);
    expect(llmCalls).toBe(0);
  });

  it('reads the id from the text when the request brings no entities (a direct API client), with its own confident classification', async () => {
    const a = await generate({ message: 'Where is my order KB-48213?' });
    expect(a.route).toMatchObject({ path: 'template', generator: 'order', intent: 'order_status' });
    expect(a.text).toContain('UPS Ground');
  });

  it('looks up an order id whatever the order intent\'s confidence (the id is the second gate), but never for another intent, nor without an id', async () => {
    const unsure = await generate({ ...fromEdge('umm hello?? my order??? KB-48213', 'kb-48213'), confidence: 0.41 });
    expect(unsure.route.generator).toBe('order');
    expect(lookups.map((l) => l.id)).toEqual(['KB-48213']);
    const other = await generate({ ...fromEdge('I want to return KB-48213, it came damaged', 'kb-48213'), intent: 'return_policy' });
    expect(other.route.generator).not.toBe('order');
    const noId = await generate(fromEdge('where is my order?'));
    expect(noId.route.generator).not.toBe('order');
    expect(lookups).toHaveLength(1);
    expect(llmCalls).toBe(2);
  });

  it('answers as before, marked order_lookup_unavailable, when the order system fails or is slower than its budget', async () => {
    for (const m of ['down', 'slow'] as const) {
      mode = m;
      llmCalls = 0;
      const t0 = performance.now();
      const a = await generate(fromEdge('Where is my order KB-48213?', 'kb-48213'));
      expect(a.route.path, m).toBe('llm');
      expect(a.done.fallbacks, m).toContain('order_lookup_unavailable');
      expect(a.done.cacheable, m).toBe(false);
      expect(a.text, m).toContain('Account → Orders');
      expect(llmCalls, m).toBe(1);
      if (m === 'slow') expect(performance.now() - t0).toBeLessThan(1_900); // the 400 ms budget, not the 2 s the order system took
    }
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_order_lookups_total\{result="unavailable"\} 2/);
    expect(metrics).toMatch(/switchyard_fallbacks_total\{kind="order_lookup_unavailable"\} 2/);
  });
});

describe('order route through the edge (workerd) and the region', () => {
  let stack: EdgeStack;
  beforeAll(async () => {
    stack = await startEdgeStack('sy-edge-orders-', 20000, {}, REGION_ENV);
  }, 240_000);
  afterAll(async () => {
    await stack?.close();
  });

  const chat = async (message: string, sessionId: string) => {
    const res = await fetch(`${stack.edge.url}/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ message, sessionId }) });
    expect(res.status).toBe(200);
    return res.json();
  };
  const generateCalls = () => stack.proxy.heads.filter((h) => h.startsWith('POST /v1/generate')).length;

  it('with an order id: answered from the order record by the region, no LLM; the same id in another session is looked up again, never a cache hit', async () => {
    const a = await chat('Where is my order KB-48213?', 'orders-a');
    expect(a.route).toMatchObject({ path: 'template', generator: 'order', intent: 'order_status' });
    expect(a.text).toContain('Tracking number: 1Z999AA10123456784.');
    expect(a.text).not.toMatch(PRIVATE);
    const b = await chat('Where is my order KB-48213?', 'orders-b');
    expect(b.route.path).toBe('template');
    expect(b.route.cache).toBeUndefined();
    expect(lookups.map((l) => l.id)).toEqual(['KB-48213', 'KB-48213']);
    expect(llmCalls).toBe(0);
  });

  it('with an unknown order id: the not-found answer', async () => {
    // The classifier is not sure of this one (0.73, under order_status's 0.95): the order id is the second gate.
    const a = await chat('can you check order KB-99999 for me?', 'orders-c');
    expect(a.route).toMatchObject({ path: 'template', generator: 'order' });
    expect(a.text).toMatch(/^I couldn't find an order KB-99999\./);
    expect(llmCalls).toBe(0);
  });

  it('without an order id: the edge asks for it (no region call); the reply giving the id is looked up in context', async () => {
    const before = generateCalls();
    const ask = await chat('has my order shipped?', 'orders-d');
    expect(ask.route).toMatchObject({ path: 'template', intent: 'order_status' });
    expect(ask.route.generator).toBeUndefined();
    expect(ask.text).toMatch(/what's your order ID\? It's KB- plus 5 digits/);
    expect(generateCalls()).toBe(before);
    const reply = await chat("it's 48213", 'orders-d');
    expect(reply.route).toMatchObject({ path: 'template', generator: 'order', intent: 'order_status' });
    expect(reply.route.resolved.entities).toContainEqual({ kind: 'order', value: 'kb-48213' });
    expect(reply.text).toContain('Order KB-48213 shipped on November 25, 2026');
    const next = await chat('can I still cancel it?', 'orders-d');
    expect(next.route.generator).toBe('order');
    expect(next.text).toMatch(/can't be changed or cancelled/);
    expect(llmCalls).toBe(0);
  });

  it('with the order system down: the generated answer, marked order_lookup_unavailable', async () => {
    mode = 'down';
    const a = await chat('Where is my order KB-10577?', 'orders-e');
    expect(a.route.path).toBe('llm');
    expect(a.done.fallbacks).toContain('order_lookup_unavailable');
    expect(llmCalls).toBe(1);
  });
});
