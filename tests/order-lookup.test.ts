/**
 * The order route (docs/orders.md) on both tiers: the real region (models, SQLite, its pipeline)
 * and, in the second block, the real edge Worker in workerd in front of it. The store's order system
 * and the LLM are the only mocks, at the HTTP boundary (msw): an order system speaking the stated
 * JSON shape (GET /v1/orders/{id} → the order, 404 unknown; its records also carry a name, email and
 * address, which must never come out), and an OpenAI-compatible LLM that counts its calls. With
 * ORDER_VERIFY=email (the default) an order's details need the email it was placed with, or a
 * session that gave it (a proof in the region's store, for the session's life, ids and times only);
 * the shopper's email must come out in no answer, stored turn, stored proof or log line.
 */
import Database from 'better-sqlite3';
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { createRequestLogger } from '../regional/src/http/request-log.ts';
import { DemoOrderLookup } from '../regional/src/orders/demo-orders.ts';
import { emailDigest, ownedBy } from '../regional/src/orders/owner.ts';
import { OrderAnswersJsonSchema } from '../shared/domain/pack-schema.ts';
import { DemoOrdersSchema, ORDER_FIELDS } from '../shared/orders/order-record.ts';
import orderWords from '../domains/kitsune-books/orders.json';
import demoOrders from '../domains/kitsune-books/demo/orders.json';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { startEdgeStack, type EdgeStack } from './helpers/edge-stack.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';

// Every digest comparison the region makes, to see that an unknown id is compared as a known one is.
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});
const { timingSafeEqual } = await import('node:crypto');

const ORDERS = 'http://orders.test';
const LLM = 'http://llm-orders.test';
const ORDER_KEY = 'order-system-secret';
const EDGE_KEY = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' };
const enc = new TextEncoder();

/** The order system's records: what it really holds, the shopper's details included. */
const RECORDS: Record<string, Record<string, unknown>> = {
  'KB-48213': { id: 'KB-48213', status: 'Shipped', placedAt: '2026-11-24', shippedAt: '2026-11-25', carrier: 'UPS Ground', trackingNumber: '1Z999AA10123456784', estimatedDelivery: '2026-12-01', customerName: 'Aiko Tanaka', email: 'aiko@example.com', shippingAddress: '12 Elm St, Springfield', total: 42.5 },
  'KB-10577': { id: 'KB-10577', status: 'processing', placedAt: '2026-12-06', customerName: 'Ben Ortiz', email: 'ben@example.com' },
  // An order system that sent no email for this one: nobody can verify it.
  'KB-30072': { id: 'KB-30072', status: 'Delivered', placedAt: '2026-11-22', deliveredAt: '2026-11-27' },
};
/** The shopper's own email, as typed (case and spaces differ from the record's). */
const AIKO = ' Aiko@Example.COM';
/** What the order system's addresses look like in any text (the shopper's, the record's). */
const ADDRESS = /aiko@|ben@|example\.com/i;
const ASK = (id: string) => `To keep order details private, I need the email address order ${id} was placed with (the one its confirmation email went to). What is it? If you're signed in, you'll also find it with its tracking under Account → Orders.`;
const NOT_WITH_EMAIL = (id: string) => new RegExp(`^I couldn't find order ${id} with that email\\. Please check both`);
const TOO_MANY = (id: string) => new RegExp(`^I can't check order ${id} again in this chat for now`);

let mode: 'up' | 'down' | 'slow' = 'up';
let lookups: { id: string; auth: string | null }[] = [];
let llmCalls = 0;
/** What the LLM was sent. */
let llmBodies: string[] = [];
const server = setupServer(
  http.get(`${ORDERS}/v1/orders/:id`, async ({ params, request }) => {
    lookups.push({ id: String(params.id), auth: request.headers.get('authorization') });
    if (mode === 'down') return HttpResponse.json({ error: 'maintenance' }, { status: 503 });
    if (mode === 'slow') await delay(2_000);
    const rec = RECORDS[String(params.id)];
    return rec ? HttpResponse.json(rec) : HttpResponse.json({ error: 'not found' }, { status: 404 });
  }),
  http.post(`${LLM}/v1/chat/completions`, async ({ request }) => {
    llmCalls++;
    llmBodies.push(await request.text());
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
  llmBodies = [];
});

const PRIVATE = /Aiko|Tanaka|aiko@|Elm St|Springfield|42\.5|Ben Ortiz|ben@/;

/** Everything the region writes to the console while `run` goes (its service log lines, errors). */
async function consoleOf(run: () => Promise<void>): Promise<string> {
  const out: string[] = [];
  const spies = (['log', 'info', 'warn', 'error'] as const).map((m) => vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void out.push(a.map(String).join(' '))));
  try {
    await run();
  } finally {
    spies.forEach((s) => s.mockRestore());
  }
  return out.join('\n');
}

describe("the pack's order words and demo orders (domain check)", () => {
  it('refuses a sentence naming any field but the record\'s (the email included), in the ask and the not-found answers too', () => {
    expect(ORDER_FIELDS).not.toContain('email');
    expect(OrderAnswersJsonSchema.safeParse(orderWords).success).toBe(true);
    for (const k of ['askEmail', 'notFoundWithEmail', 'tooManyAttempts', 'notFound'] as const) {
      const r = OrderAnswersJsonSchema.safeParse({ ...orderWords, [k]: 'Order {id} was placed by {email}.' });
      expect(r.success, k).toBe(false);
      expect(r.error?.issues[0]).toMatchObject({ path: [k], message: expect.stringContaining('{email} is not a field of an order') });
    }
  });

  it('gives every demo order a made-up email, and refuses one outside example.com/.org/.net', () => {
    expect(DemoOrdersSchema.parse(demoOrders).orders.every((o) => /@example\.(com|org)$/.test(o.email ?? ''))).toBe(true);
    const real = { ...demoOrders, orders: [{ ...demoOrders.orders[0], email: 'someone@gmail.com' }] };
    expect(DemoOrdersSchema.safeParse(real).error?.issues[0]?.path).toEqual(['orders', 0, 'email']);
  });

  it("serves the demo orders (npm start) behind the same check: the record without its email, the email's digest beside it", async () => {
    const demo = new DemoOrderLookup(DemoOrdersSchema.parse(demoOrders).orders);
    const r = await demo.lookup('kb-12345');
    expect(r.found).toBe(true);
    if (!r.found) return;
    expect(Object.keys(r.order)).not.toContain('email');
    expect(JSON.stringify(r)).not.toMatch(/@/);
    expect(ownedBy(r.owner, ' Aiko.Tanaka@EXAMPLE.org ')).toBe(true);
    expect(ownedBy(r.owner, 'ben.ortiz@example.com')).toBe(false);
    expect(ownedBy(undefined, 'aiko.tanaka@example.org')).toBe(false);
  });
});

describe('order route at the region (/v1/generate), ORDER_VERIFY=email (the default)', () => {
  let db: TempDatabase;
  let r: RunningRegional;
  const serviceLog: string[] = [];
  const logLines: string[] = [];
  beforeAll(async () => {
    db = await tempDatabase('sqlite', 'sy-orders-');
    r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: db.url, LOG_MESSAGES: 'true', ...REGION_ENV }), (m) => serviceLog.push(m));
    r.services.logger = createRequestLogger('info', new Writable({ write: (chunk, _enc, cb) => (logLines.push(String(chunk)), cb()) }));
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

  it('says at start which check it makes', () => {
    expect(serviceLog).toContainEqual(expect.stringContaining('ORDER_VERIFY=email'));
  });

  it('an order id without an email: asks for the email it was placed with, with no lookup at all (known or unknown id alike), no LLM, never cacheable', async () => {
    const known = await generate(fromEdge('Where is my order KB-48213?', 'kb-48213'));
    const unknown = await generate(fromEdge('Where is my order KB-99999?', 'kb-99999'));
    expect(known.route).toMatchObject({ path: 'template', generator: 'order', intent: 'order_status' });
    expect(known.text).toBe(ASK('KB-48213'));
    expect(unknown.text).toBe(ASK('KB-99999'));
    expect(known.done.cacheable).toBe(false);
    expect(lookups).toEqual([]);
    expect(llmCalls).toBe(0);
  });

  it('the id and the email the order was placed with (any case, spaces): status, carrier, tracking, dates; nothing private, no LLM, never cacheable', async () => {
    const a = await generate(fromEdge(`Where is my order KB-48213? my email is${AIKO} `, 'kb-48213'));
    expect(a.route).toMatchObject({ path: 'template', generator: 'order', intent: 'order_status' });
    expect(a.text).toContain('Order KB-48213 shipped on November 25, 2026 with UPS Ground.');
    expect(a.text).toContain('Tracking number: 1Z999AA10123456784.');
    expect(a.text).toContain('Expected delivery: December 1, 2026.');
    expect(a.text).not.toMatch(PRIVATE);
    expect(a.text).not.toMatch(ADDRESS);
    expect(a.done.cacheable).toBe(false);
    expect(a.done.sources).toEqual([{ id: 'order:KB-48213', title: 'Order KB-48213' }]);
    expect(llmCalls).toBe(0);
    expect(lookups).toEqual([{ id: 'KB-48213', auth: `Bearer ${ORDER_KEY}` }]);
  });

  it('another email, an unknown id and an order the system sent no email for get one and the same answer (no oracle), each after its lookup', async () => {
    const wrong = await generate(fromEdge('where is KB-48213? ben@example.com', 'kb-48213'));
    const unknown = await generate(fromEdge('where is KB-99999? aiko@example.com', 'kb-99999'));
    const noEmail = await generate(fromEdge('where is KB-30072? aiko@example.com', 'kb-30072'));
    expect(wrong.text).toMatch(NOT_WITH_EMAIL('KB-48213'));
    const same = (a: { text: string; route: Record<string, unknown>; done: Record<string, unknown> }) => ({ text: a.text.replaceAll(/KB-\d{5}/g, 'KB-#'), path: a.route.path, generator: a.route.generator, cacheable: a.done.cacheable, fallbacks: a.done.fallbacks });
    expect(same(unknown)).toEqual(same(wrong));
    expect(same(noEmail)).toEqual(same(wrong));
    for (const a of [wrong, unknown, noEmail]) expect(a.text).not.toMatch(/Shipped|shipped|Delivered|delivered|UPS|1Z9/);
    expect(lookups.map((l) => l.id)).toEqual(['KB-48213', 'KB-99999', 'KB-30072']);
    expect(llmCalls).toBe(0);
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_order_lookups_total\{result="email_mismatch"\} 2/);
    expect(metrics).toMatch(/switchyard_order_email_asks_total \d+/);
  });

  it("answers the reply giving the email (the edge's resolution carries the id; the address is in that message alone)", async () => {
    const a = await generate({ message: 'aiko@example.com', intent: 'order_status', confidence: 0.99, resolved: { text: 'has my order shipped — KB-48213', carried: ['frame', 'order:kb-48213'], entities: [{ kind: 'order', value: 'kb-48213' }], confidence: 0.95 } });
    expect(a.route).toMatchObject({ path: 'template', generator: 'order' });
    expect(a.text).toMatch(/^Order KB-48213 shipped on November 25, 2026/);
    expect(lookups).toHaveLength(1);
    expect(llmCalls).toBe(0);
  });

  describe("a session that gave an order's email (its proof, in the region's store)", () => {
    const followUp = (sessionId: string, message: string, id: string) => generate({ sessionId, message, intent: 'order_status', confidence: 0.99, resolved: { text: `${message} (${id.toUpperCase()})`, carried: [`order:${id}`], entities: [{ kind: 'order', value: id }], confidence: 0.9 } });
    const sqlite = () => new Database(db.url);
    /** Moves a session's stored times back, as if `ms` had passed since. */
    const age = (sessionId: string, ms: number) => {
      const d = sqlite();
      d.prepare('UPDATE order_checks SET proven_at = proven_at - ?, attempted_at = attempted_at - ?, last_at = last_at - ? WHERE session_id = ?').run(ms, ms, ms, sessionId);
      d.close();
    };

    it("answers the same order's follow-ups in that session without asking again (one lookup each), and stores ids and times only", async () => {
      const s = `proof-${Math.random()}`;
      expect((await generate({ ...fromEdge('Where is my order KB-48213?', 'kb-48213'), sessionId: s })).text).toBe(ASK('KB-48213'));
      const proven = await generate({ ...fromEdge(`it's${AIKO}`, 'kb-48213'), sessionId: s });
      expect(proven.text).toContain('Tracking number: 1Z999AA10123456784.');
      for (const q of ['when will it arrive?', "what's the tracking number?", 'has it shipped yet?', 'can I still cancel it?']) {
        const a = await followUp(s, q, 'kb-48213');
        expect(a.route, q).toMatchObject({ path: 'template', generator: 'order', intent: 'order_status' });
        expect(a.text, q).toMatch(/^Order KB-48213 shipped on November 25, 2026 with UPS Ground\. Tracking number: 1Z999AA10123456784\./);
        expect(a.done.cacheable, q).toBe(false);
      }
      expect((await followUp(s, 'can I still cancel it?', 'kb-48213')).text).toMatch(/can't be changed or cancelled/);
      expect(lookups.map((l) => l.id)).toEqual(Array(6).fill('KB-48213'));
      expect(llmCalls).toBe(0);
      const rows = sqlite().prepare('SELECT * FROM order_checks WHERE session_id = ?').all(s);
      expect(rows).toEqual([{ session_id: s, order_id: 'KB-48213', proven_at: expect.any(Number), attempts: 0, attempted_at: expect.any(Number), last_at: expect.any(Number) }]);
      const metrics = await (await fetch(`${r.url}/metrics`)).text();
      const count = (result: string) => Number(new RegExp(`switchyard_order_checks_total\\{result="${result}"\\} (\\d+)`).exec(metrics)?.[1]);
      expect(count('proven')).toBeGreaterThanOrEqual(1);
      expect(count('remembered')).toBeGreaterThanOrEqual(5);
    });

    it('asks again for another order in that session, in another session, and once the session has expired (SESSION_IDLE_MS)', async () => {
      const s = `proof-${Math.random()}`;
      expect((await generate({ ...fromEdge('Where is my order KB-48213? aiko@example.com', 'kb-48213'), sessionId: s })).text).toContain('UPS Ground');
      expect((await generate({ ...fromEdge('and where is KB-10577?', 'kb-10577'), sessionId: s })).text).toBe(ASK('KB-10577'));
      expect((await followUp(`other-${Math.random()}`, 'has it shipped yet?', 'kb-48213')).text).toBe(ASK('KB-48213'));
      expect((await followUp(s, 'has it shipped yet?', 'kb-48213')).text).toContain('UPS Ground');
      age(s, 30 * 60_000 + 1_000);
      expect((await followUp(s, 'has it shipped yet?', 'kb-48213')).text).toBe(ASK('KB-48213'));
      expect(lookups.map((l) => l.id)).toEqual(['KB-48213', 'KB-48213']);
    });

    it('refuses a session after 5 emails for one order (ORDER_VERIFY_MAX_ATTEMPTS), the right one included, with no lookup; an unknown id alike; other sessions are not held up; it lifts when the session expires', async () => {
      const s = `guess-${Math.random()}`;
      const guesses = ['ben@example.com', 'a@example.com', 'b@example.com', 'c@example.com', 'd@example.com'];
      for (const g of guesses) expect((await generate({ ...fromEdge(`where is KB-48213? ${g}`, 'kb-48213'), sessionId: s })).text).toMatch(NOT_WITH_EMAIL('KB-48213'));
      expect(lookups).toHaveLength(5);
      const refused = await generate({ ...fromEdge('where is KB-48213? aiko@example.com', 'kb-48213'), sessionId: s });
      expect(refused.text).toMatch(TOO_MANY('KB-48213'));
      expect(refused.route).toMatchObject({ path: 'template', generator: 'order' });
      expect(refused.done.fallbacks).toContain('order_attempts_exceeded');
      expect(refused.done.cacheable).toBe(false);
      expect((await followUp(s, 'has it shipped yet?', 'kb-48213')).text).toMatch(TOO_MANY('KB-48213'));
      expect(lookups).toHaveLength(5);
      // An unknown id is held up after as many: the refusal says nothing about whether the order exists.
      const u = `guess-${Math.random()}`;
      for (const g of guesses) await generate({ ...fromEdge(`where is KB-99999? ${g}`, 'kb-99999'), sessionId: u });
      const unknown = await generate({ ...fromEdge('where is KB-99999? aiko@example.com', 'kb-99999'), sessionId: u });
      expect(unknown.text.replace('KB-99999', 'KB-48213')).toBe(refused.text);
      expect(unknown.done.fallbacks).toEqual(refused.done.fallbacks);
      // Another session, and the same one once SESSION_IDLE_MS has passed since its last attempt.
      expect((await generate({ ...fromEdge('where is KB-48213? aiko@example.com', 'kb-48213'), sessionId: `other-${Math.random()}` })).text).toContain('UPS Ground');
      age(s, 30 * 60_000 + 1_000);
      expect((await generate({ ...fromEdge('where is KB-48213? aiko@example.com', 'kb-48213'), sessionId: s })).text).toContain('UPS Ground');
      const metrics = await (await fetch(`${r.url}/metrics`)).text();
      expect(Number(/switchyard_fallbacks_total\{kind="order_attempts_exceeded"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);
    });

    it('counts concurrent guesses one by one: 12 at once in one session, 5 checked, 7 refused', async () => {
      const s = `burst-${Math.random()}`;
      const all = await Promise.all(Array.from({ length: 12 }, (_, i) => generate({ ...fromEdge(`where is KB-48213? guess${i}@example.com`, 'kb-48213'), sessionId: s })));
      expect(all.filter((a) => NOT_WITH_EMAIL('KB-48213').test(a.text))).toHaveLength(5);
      expect(all.filter((a) => TOO_MANY('KB-48213').test(a.text))).toHaveLength(7);
      expect(lookups).toHaveLength(5);
    });
  });

  it('compares the email with the same digest comparison for an unknown id, another email and a record without one (a dummy digest when no owner)', async () => {
    const compared = (email: string) => vi.mocked(timingSafeEqual).mock.calls.filter(([, b]) => Buffer.from(b as Uint8Array).equals(emailDigest(email))).map(([a, b]) => [(a as Uint8Array).byteLength, (b as Uint8Array).byteLength]);
    const cases = [['KB-48213', 'wrong1@example.com'], ['KB-99999', 'wrong2@example.com'], ['KB-30072', 'wrong3@example.com']] as const;
    vi.mocked(timingSafeEqual).mockClear();
    for (const [id, email] of cases) expect((await generate(fromEdge(`where is ${id}? ${email}`, id.toLowerCase()))).text).toMatch(NOT_WITH_EMAIL(id));
    for (const [id, email] of cases) expect(compared(email), id).toEqual([[32, 32]]);
    expect(vi.mocked(timingSafeEqual)).toHaveBeenCalledTimes(3);
  });

  it('adds what the status means for the question asked (a Processing order can still be cancelled)', async () => {
    const a = await generate(fromEdge('can I cancel order KB-10577? ben@example.com', 'kb-10577'));
    expect(a.route.generator).toBe('order');
    expect(a.text).toMatch(/^Order KB-10577 \(placed December 6, 2026\) is being processed/);
    expect(a.text).toMatch(/cancelled for free while it's Received or Processing/);
    expect(a.text).not.toMatch(PRIVATE);
  });

  it('reads the id (never from inside an address) and the email from the text when the request brings no entities (a direct API client)', async () => {
    const a = await generate({ message: 'Where is my order KB-48213? I used aiko@example.com' });
    expect(a.route).toMatchObject({ path: 'template', generator: 'order', intent: 'order_status' });
    expect(a.text).toContain('UPS Ground');
    const inside = await generate({ message: 'Where is my order? I used kb-48213@example.com' });
    expect(inside.route.generator).not.toBe('order');
    expect(lookups).toHaveLength(1);
  });

  it("looks up an order id whatever the order intent's confidence (the id is the second gate), but never for another intent, nor without an id", async () => {
    const unsure = await generate({ ...fromEdge('umm hello?? my order??? KB-48213 aiko@example.com', 'kb-48213'), confidence: 0.41 });
    expect(unsure.route.generator).toBe('order');
    expect(lookups.map((l) => l.id)).toEqual(['KB-48213']);
    const other = await generate({ ...fromEdge('I want to return KB-48213, it came damaged; aiko@example.com', 'kb-48213'), intent: 'return_policy' });
    expect(other.route.generator).not.toBe('order');
    const noId = await generate(fromEdge('where is my order? aiko@example.com'));
    expect(noId.route.generator).not.toBe('order');
    expect(lookups).toHaveLength(1);
    expect(llmCalls).toBe(2);
  });

  it('answers as before, marked order_lookup_unavailable, when the order system fails or is slower than its budget', async () => {
    for (const m of ['down', 'slow'] as const) {
      mode = m;
      llmCalls = 0;
      const t0 = performance.now();
      const a = await generate(fromEdge('Where is my order KB-48213? aiko@example.com', 'kb-48213'));
      expect(a.route.path, m).toBe('llm');
      expect(a.done.fallbacks, m).toContain('order_lookup_unavailable');
      expect(a.done.cacheable, m).toBe(false);
      expect(a.text, m).toContain('Account → Orders');
      expect(llmCalls, m).toBe(1);
      if (m === 'slow') expect(performance.now() - t0).toBeLessThan(1_900); // the 400 ms budget, not the 2 s the order system took
    }
    // The email given for the check does not go on to the LLM with the message.
    expect(llmBodies.join('')).toContain('[email]');
    expect(llmBodies.join('')).not.toMatch(ADDRESS);
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_order_lookups_total\{result="unavailable"\} 2/);
    expect(metrics).toMatch(/switchyard_fallbacks_total\{kind="order_lookup_unavailable"\} 2/);
  });

  it("keeps the shopper's email out of its stored turns and every log line (LOG_MESSAGES=true), found, not found or failed", async () => {
    const sessionId = 'orders-private';
    logLines.length = 0;
    const printed = await consoleOf(async () => {
      for (const [message, id] of [['Where is my order KB-48213?', 'kb-48213'], [`it's${AIKO}`, 'kb-48213'], ['aiko@example.com — KB-99999', 'kb-99999']] as const) {
        await generate({ ...fromEdge(message, id), sessionId });
      }
      mode = 'down';
      await generate({ ...fromEdge('Where is my order KB-48213? aiko@example.com', 'kb-48213'), sessionId });
    });
    const conv = await r.services.store.getConversationBySession(sessionId, { limit: 50 });
    const stored = JSON.stringify(conv?.turns.map((t) => t.text));
    expect(conv?.turns.length).toBe(8);
    expect(stored).toContain('[email]');
    expect(stored).not.toMatch(ADDRESS);
    // The session's proof of KB-48213: ids and times, nothing else.
    const d = new Database(db.url, { readonly: true });
    const proofs = d.prepare('SELECT * FROM order_checks WHERE session_id = ?').all(sessionId);
    d.close();
    expect(proofs.map((p) => Object.keys(p as object).sort())).toEqual([['attempted_at', 'attempts', 'last_at', 'order_id', 'proven_at', 'session_id'], ['attempted_at', 'attempts', 'last_at', 'order_id', 'proven_at', 'session_id']]);
    expect(JSON.stringify(proofs)).not.toMatch(/@|example/);
    await new Promise((res) => setTimeout(res, 50));
    expect(logLines.join('')).toContain('[email]');
    expect(logLines.join('') + printed + serviceLog.join('\n')).not.toMatch(ADDRESS);
  });
});

describe('order route at the region, ORDER_VERIFY=none (shoppers signed in before the chat): the id alone, as before', () => {
  let db: TempDatabase;
  let r: RunningRegional;
  beforeAll(async () => {
    db = await tempDatabase('sqlite', 'sy-orders-none-');
    r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: db.url, ...REGION_ENV, ORDER_VERIFY: 'none' }), () => {});
  }, 120_000);
  afterAll(async () => {
    await r?.close();
    await db?.cleanup();
  });
  const generate = async (message: string, id: string) => {
    const res = await fetch(`${r.url}/v1/generate`, { method: 'POST', headers: EDGE_KEY, body: JSON.stringify({ sessionId: `n-${Math.random()}`, message, intent: 'order_status', confidence: 0.99, resolved: { text: message, carried: [], entities: [{ kind: 'order', value: id }] } }) });
    expect(res.status).toBe(200);
    return res.json();
  };

  it('answers an order id from its record with no email, and an unknown id with the not-found answer', async () => {
    const a = await generate('Where is my order KB-48213?', 'kb-48213');
    expect(a.route).toMatchObject({ path: 'template', generator: 'order' });
    expect(a.text).toContain('Order KB-48213 shipped on November 25, 2026 with UPS Ground.');
    expect(a.text).not.toMatch(PRIVATE);
    const unknown = await generate('where is KB-99999', 'kb-99999');
    expect(unknown.text).toMatch(/^I couldn't find an order KB-99999\. Please check the ID: it's KB- plus 5 digits/);
    expect(lookups.map((l) => l.id)).toEqual(['KB-48213', 'KB-99999']);
    expect(llmCalls).toBe(0);
  });

  it('refuses an ORDER_VERIFY other than email or none', () => {
    expect(() => loadConfig({ ...REGION_ENV, ORDER_VERIFY: 'always' })).toThrow(/ORDER_VERIFY/);
  });
});

describe('order route through the edge (workerd) and the region', () => {
  let stack: EdgeStack;
  beforeAll(async () => {
    stack = await startEdgeStack('sy-edge-orders-', 20000, { LOG_MESSAGES: 'true' }, REGION_ENV);
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

  it('with an order id and no email: asked for it, no lookup; the reply with the email is answered from the record; the address in no answer, stored turn or log', async () => {
    const ask = await chat('Where is my order KB-48213?', 'orders-a');
    expect(ask.route).toMatchObject({ path: 'template', generator: 'order', intent: 'order_status' });
    expect(ask.text).toBe(ASK('KB-48213'));
    expect(lookups).toEqual([]);
    const reply = await chat(`it's${AIKO}`, 'orders-a');
    expect(reply.route).toMatchObject({ path: 'template', generator: 'order', intent: 'order_status' });
    expect(reply.route.resolved.entities).toEqual([{ kind: 'order', value: 'kb-48213' }]);
    expect(reply.text).toContain('Tracking number: 1Z999AA10123456784.');
    expect(JSON.stringify(reply)).not.toMatch(ADDRESS);
    expect(JSON.stringify(reply.route.resolved)).not.toContain('@');
    expect(lookups.map((l) => l.id)).toEqual(['KB-48213']);
    expect(llmCalls).toBe(0);
    const turns = await (await fetch(`${stack.edge.url}/v1/sessions/orders-a/turns`)).json();
    expect(turns.turns).toHaveLength(2);
    expect(turns.turns[1]).toMatchObject({ text: "it's [email]", intent: 'order_status', entities: [{ kind: 'order', value: 'kb-48213' }] });
    expect(JSON.stringify(turns)).not.toMatch(ADDRESS);
    const conv = await stack.regional.services.store.getConversationBySession('orders-a', { limit: 50 });
    expect(JSON.stringify(conv?.turns.map((t) => t.text))).not.toMatch(ADDRESS);
    await new Promise((res) => setTimeout(res, 200));
    expect(stack.edge.output()).toContain('[email]');
    expect(stack.edge.output()).not.toMatch(ADDRESS);
  });

  it('the same id and email in another session is looked up again, never a cache hit', async () => {
    const a = await chat('Where is my order KB-48213? aiko@example.com', 'orders-b1');
    const b = await chat('Where is my order KB-48213? aiko@example.com', 'orders-b2');
    for (const x of [a, b]) {
      expect(x.route).toMatchObject({ path: 'template', generator: 'order' });
      expect(x.route.cache).toBeUndefined();
      expect(x.text).toContain('Tracking number: 1Z999AA10123456784.');
    }
    expect(lookups.map((l) => l.id)).toEqual(['KB-48213', 'KB-48213']);
    expect(llmCalls).toBe(0);
  });

  it('another email and an unknown order id: the one answer', async () => {
    // The classifier is not sure of this one (under order_status's 0.95): the order id is the second gate.
    const unknown = await chat('can you check order KB-99999 for me? aiko@example.com', 'orders-c1');
    expect(unknown.route).toMatchObject({ path: 'template', generator: 'order' });
    expect(unknown.text).toMatch(NOT_WITH_EMAIL('KB-99999'));
    await chat('can you check order KB-48213 for me?', 'orders-c2');
    const wrong = await chat('ben@example.com', 'orders-c2');
    expect(wrong.text.replace('KB-48213', 'KB-99999')).toBe(unknown.text);
    expect(llmCalls).toBe(0);
  });

  it("without an order id: the edge asks for it (no region call); the id reply is asked for the email; the email reply answered; the session's later follow-ups answered by its proof, another session or order asked", async () => {
    const before = generateCalls();
    const askId = await chat('has my order shipped?', 'orders-d');
    expect(askId.route).toMatchObject({ path: 'template', intent: 'order_status' });
    expect(askId.route.generator).toBeUndefined();
    expect(askId.text).toMatch(/what's your order ID\? It's KB- plus 5 digits/);
    expect(generateCalls()).toBe(before);
    const askEmail = await chat("it's 48213", 'orders-d');
    expect(askEmail.route).toMatchObject({ path: 'template', generator: 'order', intent: 'order_status' });
    expect(askEmail.route.resolved.entities).toContainEqual({ kind: 'order', value: 'kb-48213' });
    expect(askEmail.text).toBe(ASK('KB-48213'));
    expect(lookups).toEqual([]);
    const reply = await chat('my email is aiko@example.com', 'orders-d');
    expect(reply.route).toMatchObject({ path: 'template', generator: 'order', intent: 'order_status' });
    expect(reply.text).toContain('Order KB-48213 shipped on November 25, 2026');
    // The session proved the order: its follow-ups are answered, no email asked; another session is asked.
    const next = await chat('can I still cancel it?', 'orders-d');
    expect(next.route).toMatchObject({ path: 'template', generator: 'order', intent: 'order_status' });
    expect(next.text).toMatch(/can't be changed or cancelled/);
    const eta = await chat('when will it arrive?', 'orders-d');
    expect(eta.route.generator).toBe('order');
    expect(eta.text).toContain('Expected delivery: December 1, 2026.');
    const elsewhere = await chat('Where is my order KB-48213?', 'orders-d2');
    expect(elsewhere.text).toBe(ASK('KB-48213'));
    const other = await chat('and where is KB-10577?', 'orders-d');
    expect(other.text).toBe(ASK('KB-10577'));
    expect(lookups).toHaveLength(3);
    expect(llmCalls).toBe(0);
  });

  it('with the order system down: the generated answer, marked order_lookup_unavailable', async () => {
    mode = 'down';
    const a = await chat('Where is my order KB-10577? ben@example.com', 'orders-e');
    expect(a.route.path).toBe('llm');
    expect(a.done.fallbacks).toContain('order_lookup_unavailable');
    expect(llmCalls).toBe(1);
  });
});
