/**
 * Decisive retrieval (regional/src/generate/stages/decisive.ts): with an LLM backend and
 * DECISIVE_ANSWERS on, a message whose best reranked passage is a FAQ or policy section the
 * reranker is sure of, and which the offline generator answers from that passage, is answered with
 * no LLM call (path template, generator extractive, cacheable); a catalog question, an intent of the
 * pack's large tier, or a passage under the threshold still goes to the LLM. Real region (models,
 * SQLite seeded with the store KB); the LLM is an OpenAI-compatible server at the HTTP boundary (msw)
 * that counts its calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';
import { LLM_URL, openAiLlm } from './helpers/openai-llm.ts';

const EDGE = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' };

describe('region: decisive retrieval answers without the LLM', () => {
  let db: TempDatabase;
  let r: RunningRegional;
  const llm = openAiLlm();

  beforeAll(async () => {
    llm.server.listen({ onUnhandledRequest: 'bypass' });
    db = await tempDatabase('sqlite', 'sy-decisive-');
    r = await startRegional(
      loadConfig({ PORT: '0', DATABASE_URL: db.url, LLM_BACKEND: 'openai', OPENAI_BASE_URL: LLM_URL, DECISIVE_ANSWERS: 'true', RERANK_TIMEOUT_MS: '20000', RETRIEVE_TIMEOUT_MS: '20000', EMBED_TIMEOUT_MS: '20000', LLM_FIRST_TOKEN_TIMEOUT_MS: '10000' }),
      () => {},
    );
  }, 180_000);
  afterAll(async () => {
    llm.server.close();
    await r?.close();
    await db?.cleanup();
  });

  const generate = async (body: Record<string, unknown>) => {
    const before = llm.calls();
    const reply = await (await fetch(`${r.url}/v1/generate`, { method: 'POST', headers: EDGE, body: JSON.stringify({ sessionId: `s-${Math.random()}`, ...body }) })).json();
    return { reply, llmCalls: llm.calls() - before };
  };

  it('is off by default, and serves the calibrated threshold when on', () => {
    expect(loadConfig({}).DECISIVE_ANSWERS).toBe('false');
    expect(r.services.decisive).toBeDefined();
    expect(r.services.decisive!.minRelevance).toBe(0.7);
  });

  it('answers a shipping question from the policy passage the reranker is sure of, with no LLM call, cacheable', async () => {
    const { reply, llmCalls } = await generate({ message: QUESTION, intent: 'shipping_info', confidence: 0.99 });
    expect(llmCalls).toBe(0);
    expect(reply.route.path).toBe('template');
    expect(reply.route.generator).toBe('extractive');
    expect(reply.text).toContain(FACT);
    expect(reply.done.cacheable).toBe(true);
    expect(reply.done.usage).toBeUndefined();
    expect(reply.done.latencyMs.rerank).toBeGreaterThan(0);
  });

  it('still asks the LLM under the threshold, for a large-tier intent, and for a catalog question', async () => {
    const d = r.services.decisive!;
    const threshold = d.minRelevance;
    try {
      d.minRelevance = 1.01; // no relevance reaches it
      expect((await generate({ message: QUESTION, intent: 'shipping_info', confidence: 0.99 })).llmCalls).toBe(1);
    } finally {
      d.minRelevance = threshold;
    }
    const rec = await generate({ message: QUESTION, intent: 'recommendation', confidence: 0.99 }); // domain.json assistant.largeTier
    expect(rec.llmCalls).toBe(1);
    expect(rec.reply.route.generator).not.toBe('extractive');
    const title = await generate({ message: 'Who is the author of Witch Hat Atelier?', intent: 'product_question', confidence: 0.9 });
    expect(title.llmCalls).toBe(1);
  });
});

// A question the calibration run (scripts/eval/decisive-threshold.ts) answered decisively (golden ship-17, relevance 0.99), and the fact its answer must state.
const QUESTION = 'What is the minimum for free shipping?';
const FACT = '$50.00';
