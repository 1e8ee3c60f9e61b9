/**
 * No wrong answer is cached: the region marks an answer cacheable (and remembers it for its
 * fallback) only when it is clean and grounded, and admins can forget remembered answers. Real region (models, SQLite store seeded with the store KB, the offline generator);
 * an OpenAI-compatible server at the HTTP boundary (msw) for the LLM that states an unsupported
 * price with the guardrails off.
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents } from '../shared/api/event-response.ts';
import { loadConfig } from '../regional/src/config.ts';
import { generatePipeline } from '../regional/src/generate/pipeline.ts';
import { OpenAICompatibleBackend } from '../regional/src/llm/openai-compatible.ts';
import { hybridSearch } from '../regional/src/retrieval/hybrid.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';

const EDGE = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' };
const LLM = 'http://llm-cacheable.test';
const enc = new TextEncoder();

describe('region: cacheable only when grounded', () => {
  let db: TempDatabase;
  let r: RunningRegional;
  let llmText = '';
  const llm = setupServer(
    http.post(`${LLM}/v1/chat/completions`, () => {
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(enc.encode(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: llmText }, finish_reason: null }] })}\n\n`));
          c.enqueue(enc.encode('data: [DONE]\n\n'));
          c.close();
        },
      });
      return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream' } });
    }),
  );

  beforeAll(async () => {
    llm.listen({ onUnhandledRequest: 'bypass' });
    db = await tempDatabase('sqlite', 'sy-cacheable-');
    r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: db.url, LLM_BACKEND: 'extractive' }), () => {});
  }, 120_000);
  afterAll(async () => {
    llm.close();
    await r?.close();
    await db?.cleanup();
  });

  const generate = async (body: Record<string, unknown>) => (await fetch(`${r.url}/v1/generate`, { method: 'POST', headers: EDGE, body: JSON.stringify({ sessionId: 's', ...body }) })).json();

  it('caches a grounded catalog or policy answer, with its looked-up source cited', async () => {
    const a = await generate({ message: 'Who is the author of Witch Hat Atelier?', intent: 'product_question', confidence: 0.9 });
    expect(a.text).toContain('Kamome Shirahama');
    expect(a.done.cacheable).toBe(true);
    expect(a.done.sources.map((s: { id: string }) => s.id)).toContain('KB-SKU-0102');
    const b = await generate({ message: 'How much is shipping to Australia?', intent: 'shipping_info', confidence: 0.99 });
    expect(b.text).toMatch(/\$24\.99/);
    expect(b.text).not.toMatch(/\$4\.99/);
    expect(b.done.cacheable).toBe(true);
  });

  it('never caches a decline, a handoff or a "could not find"', async () => {
    const oos = await generate({ message: "What's the weather going to be like in Tokyo tomorrow?", intent: 'oos', confidence: 0.966 });
    expect(oos.text).toMatch(/outside what I can help with/);
    expect(oos.text).not.toMatch(/Tomorrow, and Tomorrow/);
    expect(oos.done.cacheable).toBe(false);
    const person = await generate({ message: 'I want to talk to a human please', intent: 'human_agent', confidence: 0.9 });
    expect(person.text).toContain('support@kitsunebooks.example');
    expect(person.done.cacheable).toBe(false);
    const unknown = await generate({ message: 'Do you offer gift wrapping?', intent: 'purchase_help', confidence: 0.95 });
    expect(unknown.text).toMatch(/couldn't find/);
    expect(unknown.done.cacheable).toBe(false);
  });

  it('lists and forgets remembered answers by id and by intent, with the admin key only', async () => {
    const ADMIN = { authorization: 'Bearer dev-admin-key' };
    const a = await generate({ message: 'How much is Dorohedoro volume 1?', intent: 'price_availability', confidence: 0.9 });
    expect(a.done.cacheable).toBe(true);
    await r.services.fallbackAnswers.flushed();
    const list = await (await fetch(`${r.url}/v1/admin/answers?intent=price_availability`, { headers: ADMIN })).json();
    const mine = list.answers.find((x: { question: string }) => x.question === 'How much is Dorohedoro volume 1?');
    expect(mine.text).toContain('$12.99');
    expect((await fetch(`${r.url}/v1/admin/answers/${mine.id}`, { method: 'DELETE', headers: { authorization: 'Bearer dev-edge-key' } })).status).toBe(403);
    const del = await fetch(`${r.url}/v1/admin/answers/${mine.id}`, { method: 'DELETE', headers: ADMIN });
    expect(await del.json()).toEqual({ id: mine.id, intent: 'price_availability', deleted: true });
    expect((await fetch(`${r.url}/v1/admin/answers/${mine.id}`, { method: 'DELETE', headers: ADMIN })).status).toBe(404);
    expect(await r.services.fallbackAnswers.find('price_availability', 'How much is Dorohedoro volume 1?')).toBeNull();
    expect((await fetch(`${r.url}/v1/admin/answers/abc`, { method: 'DELETE', headers: ADMIN })).status).toBe(400);
    expect((await fetch(`${r.url}/v1/admin/answers?intent=not%20valid`, { method: 'DELETE', headers: ADMIN })).status).toBe(400);

    await generate({ message: 'Who is the author of Piranesi?', intent: 'product_question', confidence: 0.9 });
    await r.services.fallbackAnswers.flushed();
    const byIntent = await (await fetch(`${r.url}/v1/admin/answers?intent=product_question`, { method: 'DELETE', headers: ADMIN })).json();
    expect(byIntent.deleted).toBeGreaterThanOrEqual(1);
    expect((await (await fetch(`${r.url}/v1/admin/answers?intent=product_question`, { headers: ADMIN })).json()).answers).toEqual([]);
    expect(await r.services.fallbackAnswers.find('product_question', 'Who is the author of Piranesi?')).toBeNull();
  });

  it('does not cache an LLM answer that states what the passages do not, even with the guardrails off', async () => {
    const s = r.services;
    const run = async (text: string, rerank = s.rerank, rerankMs = 5000) => {
      llmText = text;
      const events = generatePipeline(
        { message: 'How much is standard shipping to Alaska?', sessionId: 's', intent: 'shipping_info', confidence: 0.95 },
        {
          retrieve: async (q, k) => hybridSearch(s.store, s.embedder, q, { k }),
          rerank,
          llm: new OpenAICompatibleBackend({ baseUrl: LLM, models: { small: 'm', large: 'm' }, firstTokenTimeoutMs: 5000, totalTimeoutMs: 10_000 }),
          titles: s.titles,
          intents: s.intents,
          idPatterns: s.idPatterns,
          handoff: s.handoff,
          fallbackAnswers: s.fallbackAnswers,
          timeouts: { classifyMs: 1000, retrieveMs: 5000, rerankMs, llmFirstTokenMs: 5000, llmTotalMs: 10_000 },
          guardrailMode: 'off',
        },
        { traceId: 't' },
      );
      return collectEvents(events);
    };
    const good = await run('Standard shipping to Alaska is a flat $12.99 via USPS Priority Mail and takes 5–10 business days.');
    expect(good.done?.cacheable).toBe(true);
    const wrongPrice = await run('Standard shipping to Alaska is $7.49 and takes 2 days.');
    expect(wrongPrice.text).toContain('$7.49'); // the guardrails are off: it is sent...
    expect(wrongPrice.done?.cacheable).toBe(false); // ...but never cached
    const offTopic = await run('Our warehouse cat enjoys long naps in sunny windows.');
    expect(offTopic.done?.cacheable).toBe(false);

    // A busy region whose reranker timed out answers from retrieval order: a grounded answer is
    // still cached (repeats of a popular question need no second LLM call), a wrong one still not.
    const stuck = () => new Promise<Float32Array>(() => {});
    const busy = await run('Standard shipping to Alaska is a flat $12.99 via USPS Priority Mail and takes 5–10 business days.', stuck, 30);
    expect(busy.done?.fallbacks).toContain('reranker_timeout');
    expect(busy.done?.cacheable).toBe(true);
    const busyWrong = await run('Standard shipping to Alaska is $7.49 and takes 2 days.', stuck, 30);
    expect(busyWrong.done?.fallbacks).toContain('reranker_timeout');
    expect(busyWrong.done?.cacheable).toBe(false);
  });
});
