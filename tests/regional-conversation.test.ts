/**
 * Conversations at the region: /v1/generate reads the session's last turns from the region's own
 * store (SQLite and PostgreSQL) within a token budget, retrieves with the edge's resolution of a
 * follow-up, shows the history to Bedrock ConverseStream (alternating, cache point after the
 * system prompt) and to OpenAI-compatible servers (messages), stores each exchange redacted and
 * whole under concurrency, degrades to single-turn when its store fails, and lets a second region
 * instance on the same PostgreSQL continue a session. LLMs are mocked at HTTP (msw, real wires).
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { alternating, conversationFor, withinBudget } from '../regional/src/conversation/history.ts';
import { sinceLastPause } from '../regional/src/conversation/session-turns.ts';
import type { LlmRequest } from '../regional/src/llm/types.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { converseStream, streamResponse } from './helpers/bedrock-wire.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';

const EDGE = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' };
const LLM_URL = 'http://llm-conv.test';
const ANSWER = 'Happy to help with that question today.';

let openaiBodies: any[] = [];
let bedrockBodies: any[] = [];
const enc = new TextEncoder();
const sse = (body: unknown) => enc.encode(`data: ${JSON.stringify(body)}\n\n`);
const server = setupServer(
  http.post(`${LLM_URL}/v1/chat/completions`, async ({ request }) => {
    openaiBodies.push(await request.json());
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(sse({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: ANSWER }, finish_reason: null }] }));
        c.enqueue(sse({ id: 'c', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 50, completion_tokens: 8 } }));
        c.enqueue(enc.encode('data: [DONE]\n\n'));
        c.close();
      },
    });
    return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream' } });
  }),
  http.post('https://bedrock-runtime.eu-west-1.amazonaws.com/model/:modelId/converse-stream', async ({ request }) => {
    bedrockBodies.push(await request.json());
    return streamResponse(converseStream(['Happy to help ', 'with that question today.']));
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }));
afterEach(() => {
  openaiBodies = [];
  bedrockBodies = [];
});
afterAll(() => server.close());

const openaiRegion = (url: string) => startRegional(loadConfig({ PORT: '0', DATABASE_URL: url, LLM_BACKEND: 'openai', OPENAI_BASE_URL: LLM_URL, LLM_FIRST_TOKEN_TIMEOUT_MS: '8000' }), () => {});
const generate = async (r: RunningRegional, body: object) => {
  const res = await fetch(`${r.url}/v1/generate`, { method: 'POST', headers: EDGE, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return res.json();
};
/** The user/assistant turns an OpenAI-compatible request carried (passages stripped from the last). */
const chatTurns = (body: any) => body.messages.filter((m: any) => m.role !== 'system').map((m: any) => `${m.role}: ${String(m.content).replace(/^<passages>[\s\S]*<\/passages>\n\n/, '')}`);

describe('history within a token budget', () => {
  const turns = [
    { role: 'user' as const, content: 'a'.repeat(400) },
    { role: 'assistant' as const, content: 'b'.repeat(400) },
    { role: 'user' as const, content: 'c'.repeat(40) },
    { role: 'assistant' as const, content: 'd'.repeat(40) },
  ];

  it('drops the oldest turns first and keeps whole turns only', () => {
    expect(withinBudget(turns, 10_000)).toEqual(turns);
    expect(withinBudget(turns, 40)).toEqual(turns.slice(2));
    expect(withinBudget(turns, 120)).toEqual(turns.slice(2)); // the 400-character answer (104 tokens) does not fit beside them
    expect(withinBudget(turns, 14)).toEqual(turns.slice(3)); // 40 characters: 10 tokens + 4 of framing
    expect(withinBudget(turns, 13)).toEqual([]);
  });

  it('starts with the user, alternates, and ends with the message', () => {
    expect(alternating([{ role: 'assistant', content: 'hi' }, { role: 'user', content: 'a' }, { role: 'user', content: 'b' }, { role: 'assistant', content: ' ' }, { role: 'assistant', content: 'x' }])).toEqual([
      { role: 'user', content: 'a\n\nb' },
      { role: 'assistant', content: 'x' },
    ]);
    const conv = conversationFor(turns, 'and volume 2?', 40);
    expect(conv.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(conv.at(-1)).toEqual({ role: 'user', content: 'and volume 2?' });
    expect(conversationFor([{ role: 'assistant', content: 'x' }], 'hi', 1000)).toEqual([{ role: 'user', content: 'hi' }]);
  });
});

describe('an expired session', () => {
  it('shows only the turns after the last pause longer than the idle time', () => {
    const at = (min: number) => ({ createdAt: new Date(min * 60_000) });
    const turns = [at(0), at(1), at(50), at(51), at(60)];
    expect(sinceLastPause(turns, 61 * 60_000, 30 * 60_000)).toEqual(turns.slice(2));
    expect(sinceLastPause(turns, 100 * 60_000, 30 * 60_000)).toEqual([]);
    expect(sinceLastPause(turns, 61 * 60_000, 120 * 60_000)).toEqual(turns);
  });
});

describe.each(['sqlite', 'postgres'] as const)('conversation store on %s', (dialect) => {
  let db: TempDatabase;
  let r: RunningRegional;
  beforeAll(async () => {
    db = await tempDatabase(dialect, 'sy-conv-', 'r.db');
    r = await openaiRegion(db.url);
  }, 120_000);
  afterAll(async () => {
    await r?.close();
    await db?.cleanup();
  });

  it('shows the session so far to the OpenAI-compatible server and stores each exchange redacted', async () => {
    await generate(r, { message: 'How much is Berserk Deluxe Edition volume 1? Write to jo.doe@example.com', sessionId: 'conv-1' });
    await generate(r, { message: 'and volume 2?', sessionId: 'conv-1' });
    expect(openaiBodies).toHaveLength(2);
    expect(chatTurns(openaiBodies[0])).toEqual(['user: How much is Berserk Deluxe Edition volume 1? Write to [email]']); // LLM_PII=redact, the default
    expect(chatTurns(openaiBodies[1])).toEqual(['user: How much is Berserk Deluxe Edition volume 1? Write to [email]', `assistant: ${ANSWER}`, 'user: and volume 2?']);
    expect(openaiBodies[1].messages[0].role).toBe('system');
    const conv = await r.services.store.getConversationBySession('conv-1');
    expect(conv!.turns.map((t) => t.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(conv!.turns[0].text).toBe('How much is Berserk Deluxe Edition volume 1? Write to [email]');
  });

  it("tells the LLM no email, phone or card number, in the message or a stateless client's history, but keeps ISBNs; LLM_PII=keep sends them as typed", async () => {
    const history = [
      { role: 'user', content: 'Call me on 415-555-0132 about ISBN 978-1-9747-0052-3' },
      { role: 'assistant', content: 'Sure.' },
    ];
    const message = 'I paid with 4111 1111 1111 1111, is 9781974700523 in stock? mail ana@example.org';
    await generate(r, { message, sessionId: 'conv-pii', history });
    expect(chatTurns(openaiBodies[0])).toEqual(['user: Call me on [phone] about ISBN 978-1-9747-0052-3', 'assistant: Sure.', 'user: I paid with [card], is 9781974700523 in stock? mail [email]']);
    const config = r.services.config as { LLM_PII: 'redact' | 'keep' };
    config.LLM_PII = 'keep';
    try {
      await generate(r, { message, sessionId: 'conv-pii-keep', history });
    } finally {
      config.LLM_PII = 'redact';
    }
    expect(chatTurns(openaiBodies[1])).toEqual([`user: ${history[0]!.content}`, 'assistant: Sure.', `user: ${message}`]);
  });

  it('uses the history a stateless client sends instead of the stored one', async () => {
    await generate(r, { message: 'Do you ship to Canada?', sessionId: 'conv-2' });
    openaiBodies = [];
    const history = [
      { role: 'user', content: 'Do you ship to Japan?' },
      { role: 'assistant', content: 'Yes, we ship to Japan.' },
    ];
    await generate(r, { message: 'how long does it take?', sessionId: 'conv-2', history });
    expect(chatTurns(openaiBodies[0])).toEqual(['user: Do you ship to Japan?', 'assistant: Yes, we ship to Japan.', 'user: how long does it take?']);
  });

  it('shows only the newest turns that fit the token budget', async () => {
    for (const m of ['first question about manga', 'second question about novels', 'third question about shipping']) await generate(r, { message: m, sessionId: 'conv-3' });
    openaiBodies = [];
    const saved = r.services.config.HISTORY_TOKEN_BUDGET;
    (r.services.config as { HISTORY_TOKEN_BUDGET: number }).HISTORY_TOKEN_BUDGET = 30; // one exchange (~9 + ~14 tokens with framing)
    try {
      await generate(r, { message: 'and the fourth?', sessionId: 'conv-3' });
    } finally {
      (r.services.config as { HISTORY_TOKEN_BUDGET: number }).HISTORY_TOKEN_BUDGET = saved;
    }
    expect(chatTurns(openaiBodies[0])).toEqual(['user: third question about shipping', `assistant: ${ANSWER}`, 'user: and the fourth?']);
  });

  it('starts fresh once the session has been idle longer than SESSION_IDLE_MS', async () => {
    await generate(r, { message: 'Do you ship to Australia?', sessionId: 'conv-idle' });
    const saved = r.services.config.SESSION_IDLE_MS;
    (r.services.config as { SESSION_IDLE_MS: number }).SESSION_IDLE_MS = 1000;
    try {
      await new Promise((res) => setTimeout(res, 1100));
      openaiBodies = [];
      await generate(r, { message: 'how long does it take?', sessionId: 'conv-idle' });
    } finally {
      (r.services.config as { SESSION_IDLE_MS: number }).SESSION_IDLE_MS = saved;
    }
    expect(chatTurns(openaiBodies[0])).toEqual(['user: how long does it take?']);
  });

  it('stores concurrent turns of one session as whole exchanges, none lost', async () => {
    const n = 6;
    await Promise.all(Array.from({ length: n }, (_, i) => generate(r, { message: `question number ${i} about returns`, sessionId: 'conv-busy' })));
    const conv = await r.services.store.getConversationBySession('conv-busy');
    const turns = conv!.turns;
    expect(turns).toHaveLength(2 * n);
    for (let i = 0; i < n; i++) {
      expect(turns[2 * i].role).toBe('user');
      expect(turns[2 * i + 1].role).toBe('assistant');
      expect(turns[2 * i + 1].traceId).toBe(turns[2 * i].traceId);
    }
    expect(new Set(turns.filter((t) => t.role === 'user').map((t) => t.text)).size).toBe(n);
  });

  it('answers single-turn with session_unavailable when the store cannot be read or written', async () => {
    const store = r.services.store;
    const read = store.getConversationBySession.bind(store);
    const write = store.appendTurns.bind(store);
    const count = async () => Number(/switchyard_fallbacks_total\{kind="session_unavailable"\} (\d+)/.exec(await (await fetch(`${r.url}/metrics`)).text())?.[1] ?? 0);
    const before = await count();
    store.getConversationBySession = () => Promise.reject(new Error('connection refused'));
    store.appendTurns = () => Promise.reject(new Error('connection refused'));
    try {
      const j = await generate(r, { message: 'and volume 2?', sessionId: 'conv-1' });
      expect(j.route.fallbacks).toContain('session_unavailable');
      expect(j.text).toBe(ANSWER);
      expect(j.done.cacheable).toBe(false);
      expect(chatTurns(openaiBodies[0])).toEqual(['user: and volume 2?']);
      store.getConversationBySession = () => new Promise(() => {}); // a store that hangs: the budget ends the wait
      const hung = await generate(r, { message: 'and volume 3?', sessionId: 'conv-1' });
      expect(hung.route.fallbacks).toContain('session_unavailable');
    } finally {
      store.getConversationBySession = read;
      store.appendTurns = write;
    }
    expect(await count()).toBeGreaterThanOrEqual(before + 4); // two reads and two writes
    expect((await store.getConversationBySession('conv-1'))!.turns).toHaveLength(4); // nothing half-written
  });
});

describe('a second region instance on the same PostgreSQL', () => {
  let db: TempDatabase;
  let a: RunningRegional;
  let b: RunningRegional;
  beforeAll(async () => {
    db = await tempDatabase('postgres', 'sy-conv2-');
    a = await openaiRegion(db.url);
    b = await openaiRegion(db.url);
  }, 180_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.cleanup();
  });

  it('continues a session started on the first', async () => {
    await generate(a, { message: 'I want something like Frieren', sessionId: 'roamer' });
    const next = await generate(b, { message: 'any others like that one?', sessionId: 'roamer' });
    expect(chatTurns(openaiBodies[1])).toEqual(['user: I want something like Frieren', `assistant: ${ANSWER}`, 'user: any others like that one?']);
    // The second instance resolved the follow-up against the turns the first one stored.
    expect(next.route.resolved.text).toMatch(/frieren/i);
    expect((await b.services.store.getConversationBySession('roamer'))!.turns).toHaveLength(4);
  });
});

describe('Bedrock ConverseStream and the offline generator in context', () => {
  let db: TempDatabase;
  let bedrock: RunningRegional;
  let offline: RunningRegional;
  const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFAKEFORTESTS';
    process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret';
    db = await tempDatabase('sqlite', 'sy-conv3-', 'r.db');
    bedrock = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: db.url, LLM_BACKEND: 'bedrock', BEDROCK_REGIONS: 'eu-west-1', LLM_FIRST_TOKEN_TIMEOUT_MS: '8000' }), () => {});
    offline = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: `${db.dir}/offline.db`, LLM_BACKEND: 'extractive' }), () => {});
  }, 180_000);
  afterAll(async () => {
    await bedrock?.close();
    await offline?.close();
    await db?.cleanup();
    process.env.AWS_ACCESS_KEY_ID = savedEnv.id;
    process.env.AWS_SECRET_ACCESS_KEY = savedEnv.secret;
  });

  it('sends Bedrock alternating history with a cache point right after the system prompt', async () => {
    await generate(bedrock, { message: 'Do you ship to Canada?', sessionId: 'br-1' });
    await generate(bedrock, { message: 'how long does it take?', sessionId: 'br-1' });
    const body = bedrockBodies[1];
    expect(body.system).toHaveLength(2);
    expect(body.system[0].text).toMatch(/Kitsune Books/);
    expect(body.system[1]).toEqual({ cachePoint: { type: 'default' } });
    expect(body.messages.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(body.messages[0].content[0].text).toBe('Do you ship to Canada?');
    expect(body.messages[1].content[0].text).toBe('Happy to help with that question today.');
    expect(body.messages[2].content[0].text).toMatch(/<passages>[\s\S]*how long does it take\?$/);
  });

  it("puts a caller's instructions after the cache point, so the operator's prompt stays the cached prefix", async () => {
    await generate(bedrock, { message: 'Do you ship to Canada?', sessionId: 'br-3', generation: { instructions: 'Answer in French.' } });
    const system = bedrockBodies[0].system;
    expect(system).toHaveLength(3);
    expect(system[0].text).toMatch(/Kitsune Books/);
    expect(system[1]).toEqual({ cachePoint: { type: 'default' } });
    expect(system[2].text).toMatch(/^Instructions from the application calling this assistant[^\n]*\nAnswer in French\.$/);
  });

  it('repairs a history Bedrock would refuse (leading answer, two user turns in a row)', async () => {
    const history = [
      { role: 'assistant', content: 'Welcome to Kitsune Books!' },
      { role: 'user', content: 'Do you ship to Japan?' },
      { role: 'user', content: 'I mean Tokyo.' },
    ];
    await generate(bedrock, { message: 'and how much?', sessionId: 'br-2', history });
    const msgs = bedrockBodies[0].messages;
    expect(msgs.map((m: any) => m.role)).toEqual(['user']);
    expect(msgs[0].content[0].text).toMatch(/^<passages>[\s\S]*Do you ship to Japan\?\n\nI mean Tokyo\.\n\nand how much\?$/);
  });

  it('answers a resolved follow-up from the resolved question with the offline generator', async () => {
    const follow = { message: 'and how long does that take?', sessionId: 'off-1' };
    // Watch what the generator is handed (the real one answers).
    const seen: LlmRequest[] = [];
    const llm = offline.services.llm;
    const generateWith = llm.generate.bind(llm);
    llm.generate = (req) => (seen.push(req), generateWith(req));
    await generate(offline, { message: 'Do you ship to Alaska?', sessionId: 'off-2' });
    const bare = await generate(offline, follow);
    const resolved = await generate(offline, {
      ...follow,
      sessionId: 'off-2',
      resolved: { text: 'How long does standard shipping to Alaska take?', carried: ['destination'], entities: [{ kind: 'destination', value: 'alaska' }] },
    });
    expect(resolved.route.generator).toBe('extractive');
    expect(resolved.text).toMatch(/Alaska/);
    expect(resolved.text).toMatch(/5–10 business days/);
    expect(bare.text).not.toMatch(/Alaska/);
    llm.generate = generateWith;
    const handed = seen.at(-1)!;
    expect(handed.resolved).toMatchObject({ text: 'How long does standard shipping to Alaska take?', entities: [{ kind: 'destination', value: 'alaska' }] });
    expect(handed.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(handed.messages[0].content).toBe('Do you ship to Alaska?');
    expect(handed.messages.at(-1)!.content).toBe('and how long does that take?');
  });
});
