/**
 * LLM configurations as versioned, registered things, rolled out in live traffic: the region
 * (real models, SQLite, seeded knowledge base) in front of a self-hosted OpenAI-compatible LLM
 * mocked at the HTTP boundary with msw (the mock honours max_tokens, as a real server does).
 * Shadow generations never change the answer and are compared on output length, guardrail pass
 * rate and format; they are capped; a canary serves its share and the turn names the version; a
 * promoted configuration becomes the control.
 */
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { builtinLlmSettings } from '../regional/src/generate/prompt.ts';
import { writeLlmConfigFolder, type LlmConfigFile } from '../regional/src/ops/llm-config.ts';
import { routingRule, type RolloutSpec } from '../regional/src/ops/rollout-rules.ts';
import { assign } from '../regional/src/ops/rollout.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { registerAt } from './helpers/candidates.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';

const ADMIN = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };
const EDGE = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' };
const LLM = 'switchyard-llm-config';
const ANSWER = 'Standard shipping to Alaska is a flat $12.99. Orders to Alaska usually arrive in 5 to 8 business days. You get a tracking link by email once it ships.';
const QUESTIONS = ['how much is shipping to alaska?', 'what does shipping to alaska cost?', 'shipping price for alaska?', 'how much to ship a book to alaska?', 'cost of shipping to alaska please', 'alaska shipping cost?'];
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

describe('LLM configuration rollouts', () => {
  let db: TempDatabase;
  let r: RunningRegional;
  /** Delay of the mock's answers to the short configuration (6 tokens). */
  let shortDelayMs = 0;
  const server = setupServer(
    http.post('http://gpu.test/v1/chat/completions', async ({ request }) => {
      const body = (await request.json()) as { max_tokens: number; messages: { role: string; content: string }[] };
      const words = ANSWER.split(' ').slice(0, body.max_tokens);
      // A prompt asking for the day's promotion makes the model state a price the passages lack.
      if (body.messages[0].content.includes('PROMO')) words.push('Today', 'everything', 'is', '$1.00', 'off.');
      if (body.max_tokens === 6 && shortDelayMs) await sleep(shortDelayMs);
      const enc = new TextEncoder();
      const stream = new ReadableStream({
        start(c) {
          for (const [i, w] of words.entries()) c.enqueue(enc.encode(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: i ? ` ${w}` : w } }] })}\n\n`));
          c.enqueue(enc.encode(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 200, completion_tokens: words.length } })}\n\n`));
          c.enqueue(enc.encode('data: [DONE]\n\n'));
          c.close();
        },
      });
      return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream' } });
    }),
  );

  const config = async (version: string, cfg: LlmConfigFile) => {
    const dir = join(db.dir, `llm-${version}`);
    await writeLlmConfigFolder(dir, { version, config: cfg });
    await registerAt(r.services.store.registry, dir);
  };

  beforeAll(async () => {
    server.listen({ onUnhandledRequest: 'bypass' });
    db = await tempDatabase('sqlite', 'sy-llm-rollout-', 'r.db');
    r = await startRegional(
      loadConfig({ PORT: '0', DATABASE_URL: db.url, LLM_BACKEND: 'openai', OPENAI_BASE_URL: 'http://gpu.test', ROLLOUT_REFRESH_MS: '200', SHADOW_LLM_CONCURRENCY: '1' }),
      () => {},
    );
    await config('2.0.0', { systemPromptVersion: '1', maxTokens: { shipping_info: 6 }, defaultMaxTokens: 6 });
    await config('3.0.0', { systemPromptVersion: '2', systemPrompt: `${builtinLlmSettings().system}\nAlways mention the PROMO of the day.` });
  }, 120_000);
  afterAll(async () => {
    server.close();
    await r?.close();
    await db?.cleanup();
  });

  const put = (rule: unknown) => fetch(`${r.url}/v1/ops/rollouts/${LLM}`, { method: 'PUT', headers: ADMIN, body: JSON.stringify(rule) });
  const shadowReport = async () => (await fetch(`${r.url}/v1/ops/shadow/${LLM}`, { headers: ADMIN })).json();
  const generate = async (message: string, sessionId: string, userId?: string) => {
    const res = await fetch(`${r.url}/v1/generate`, { method: 'POST', headers: EDGE, body: JSON.stringify({ message, sessionId, userId }) });
    expect(res.status).toBe(200);
    return (await res.json()) as { route: { path: string; intent: string; fallbacks: string[]; traceId?: string }; text: string; done: { fallbacks: string[] } };
  };
  const until = async (cond: (rep: any) => boolean) => {
    for (let i = 0; i < 300; i++) {
      const rep = await shadowReport();
      if (cond(rep)) return rep;
      await sleep(50);
    }
    throw new Error('shadow runs did not finish');
  };

  it('routes the built-in configuration as control and refuses bad rules', async () => {
    const st = await (await fetch(`${r.url}/v1/ops/rollouts/${LLM}/status`, { headers: ADMIN })).json();
    expect(st).toMatchObject({ model: LLM, kind: 'llm-config', control: 'builtin', rule: null });
    expect((await put({ shadow: { version: '2.0.0', percent: 100 }, metric: 'confident' })).status).toBe(400);
    expect(((await (await put({ canary: { version: '9.0.0', percent: 5 } })).json()) as any).error.code).toBe('VERSION_NOT_FOUND');
  });

  it('shadows a configuration on a copy after the answer and compares length, guardrails and format', async () => {
    const off: Awaited<ReturnType<typeof generate>>[] = [];
    for (const [i, q] of QUESTIONS.entries()) off.push(await generate(q, `llm-off-${i}`));
    expect(off.every((j) => j.route.path === 'llm' && j.text.includes('$12.99'))).toBe(true);

    expect((await put({ shadow: { version: '2.0.0', percent: 100 } })).status).toBe(200);
    // What reaches the LLM priority queue: served generations at their priority, shadow ones at the lowest.
    const queued: { priority?: string; maxTokens: number }[] = [];
    const llm = r.services.llm;
    const generateReal = llm.generate.bind(llm);
    llm.generate = (req) => (queued.push({ priority: req.priority, maxTokens: req.maxTokens }), generateReal(req));
    const on: Awaited<ReturnType<typeof generate>>[] = [];
    for (const [i, q] of QUESTIONS.entries()) on.push(await generate(q, `llm-on-${i}`));
    const served = (j: (typeof on)[number]) => ({ ...j.route, traceId: undefined, text: j.text, fallbacks: j.done.fallbacks });
    expect(on.map(served)).toEqual(off.map(served));
    const rep = await until((x) => x.compared === QUESTIONS.length);
    expect(rep).toMatchObject({ controlVersion: 'builtin', candidateVersion: '2.0.0', candidateErrors: 0, dropped: 0 });
    expect(rep.control).toMatchObject({ n: QUESTIONS.length, guardrailPassRate: 1, formatOkRate: 1 });
    // Six tokens: shorter, still grounded, and cut mid-sentence.
    expect(rep.candidate).toMatchObject({ guardrailPassRate: 1, formatOkRate: 0 });
    expect(rep.delta.outputCharsP50).toBeLessThan(-50);
    llm.generate = generateReal;
    expect(queued.filter((q) => q.maxTokens === 6).map((q) => q.priority)).toEqual(QUESTIONS.map(() => 'low'));
    expect(queued.filter((q) => q.maxTokens !== 6).map((q) => q.priority)).toEqual(QUESTIONS.map(() => 'normal'));

    // Another system prompt whose answers state an ungrounded price: the guardrail pass rate shows it.
    expect((await put({ shadow: { version: '3.0.0', percent: 100 }, salt: 'prompt-2' })).status).toBe(200);
    for (const [i, q] of QUESTIONS.slice(0, 4).entries()) expect((await generate(q, `llm-promo-${i}`)).text).not.toMatch(/\$1\.00/);
    const promo = await until((x) => x.candidateVersion === '3.0.0' && x.compared === 4);
    expect(promo.control.guardrailPassRate).toBe(1);
    expect(promo.candidate.guardrailPassRate).toBe(0);
  });

  it('runs at most SHADOW_LLM_CONCURRENCY shadow generations at once and drops the rest', async () => {
    expect((await put({ shadow: { version: '2.0.0', percent: 100 }, salt: 'cap-1' })).status).toBe(200);
    shortDelayMs = 1500;
    try {
      const answers = await Promise.all(QUESTIONS.map((q, i) => generate(q, `llm-cap-${i}`)));
      expect(answers.every((j) => j.text.includes('$12.99'))).toBe(true);
      const rep = await until((x) => x.compared + x.dropped + x.candidateErrors === QUESTIONS.length);
      expect(rep.dropped).toBeGreaterThanOrEqual(1);
      expect(rep.compared).toBeGreaterThanOrEqual(1);
    } finally {
      shortDelayMs = 0;
    }
  });

  it('serves a canary configuration to its share, and the turn names the version', async () => {
    const res = await put({ canary: { version: '2.0.0', percent: 50 }, salt: 'canary-1' });
    expect(res.status).toBe(200);
    const rule = routingRule(LLM, (await res.json()).rule as RolloutSpec);
    let canary = 0;
    for (let u = 0; u < 12; u++) {
      const j = await generate(QUESTIONS[u % QUESTIONS.length], `llm-canary-${u}`, `llm-user-${u}`);
      const inCanary = assign(rule, { userId: `llm-user-${u}` }).variant === '2.0.0';
      canary += inCanary ? 1 : 0;
      expect(j.text).toBe(inCanary ? 'Standard shipping to Alaska is a' : ANSWER);
      const conv = await r.services.store.getConversationBySession(`llm-canary-${u}`);
      expect(conv!.turns.at(-1)!.modelVersions!.llmConfig).toBe(`${LLM}@${inCanary ? '2.0.0' : 'builtin'}`);
    }
    const st = await (await fetch(`${r.url}/v1/ops/rollouts/${LLM}/status`, { headers: ADMIN })).json();
    expect(st.stats['2.0.0']?.requests ?? 0).toBe(canary);
    expect(st.ab).toMatchObject({ metric: 'answered', comparisons: [{ control: 'builtin', variant: '2.0.0' }] });
  });

  it('serves a promoted configuration as the control once the registry says so', async () => {
    await fetch(`${r.url}/v1/ops/rollouts/${LLM}`, { method: 'DELETE', headers: ADMIN });
    await r.services.store.registry.setStage(LLM, '2.0.0', 'production', { actor: 'test', reason: 'shorter answers won' });
    for (let i = 0; i < 100; i++) {
      const st = await (await fetch(`${r.url}/v1/ops/rollouts/${LLM}/status`, { headers: ADMIN })).json();
      if (st.control === '2.0.0') break;
      await sleep(50);
    }
    const j = await generate(QUESTIONS[0], 'llm-promoted');
    expect(j.text).toBe('Standard shipping to Alaska is a');
    const conv = await r.services.store.getConversationBySession('llm-promoted');
    expect(conv!.turns.at(-1)!.modelVersions!.llmConfig).toBe(`${LLM}@2.0.0`);
  });
});
