/**
 * The region's /v1/chat/completions in front of a self-hosted LLM (msw at the HTTP boundary,
 * OpenAI's wire format): the caller's max_tokens and temperature reach the LLM (the output budget
 * never above the operator's), the LLM's token counts come back in `usage`, and such an answer is
 * not remembered for others.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';

const asked: { max_tokens?: number; temperature?: number }[] = [];
const enc = new TextEncoder();
const server = setupServer(
  http.post('http://gpu.test/v1/chat/completions', async ({ request }) => {
    asked.push((await request.json()) as { max_tokens?: number; temperature?: number });
    const words = ['Standard ', 'shipping ', 'to ', 'Alaska ', 'is ', 'a ', 'flat ', '$12.99.'];
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

let dir: string;
let r: RunningRegional;
beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'bypass' });
  dir = mkdtempSync(join(tmpdir(), 'sy-oai-region-'));
  // Generous first-token deadline: this test is about what reaches the LLM, not about timeouts.
  r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'r.db'), LLM_BACKEND: 'openai', OPENAI_BASE_URL: 'http://gpu.test', LLM_FIRST_TOKEN_TIMEOUT_MS: '5000', CLASSIFY_TIMEOUT_MS: '5000' }), () => {});
}, 120_000);
afterAll(async () => {
  server.close();
  await r?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('region chat completions with an LLM', () => {
  it('passes max_tokens and temperature to the LLM and reports its token counts', async () => {
    const client = new OpenAI({ baseURL: `${r.url}/v1`, apiKey: 'dev-edge-key', maxRetries: 0 });
    const c = await client.chat.completions.create({ model: 'any', max_tokens: 7, temperature: 0.2, messages: [{ role: 'user', content: 'how much is shipping to alaska?' }] });
    expect(asked.at(-1)).toMatchObject({ max_tokens: 7, temperature: 0.2 });
    expect(c.model).toMatch(/^region\/openai:/);
    expect(c.usage).toMatchObject({ prompt_tokens: 120, completion_tokens: 14, total_tokens: 134 });
    expect(c.choices[0].finish_reason).toBe('length'); // 7 tokens ≈ 28 characters of a longer answer
    expect(c.choices[0].message.content!.length).toBeLessThanOrEqual(28);
    // A budget above the operator's is capped at the operator's.
    await client.chat.completions.create({ model: 'any', max_tokens: 100_000, messages: [{ role: 'user', content: 'how much is shipping to alaska?' }] });
    expect(asked.at(-1)!.max_tokens).toBeLessThan(100_000);
    const plain = await client.chat.completions.create({ model: 'any', messages: [{ role: 'user', content: 'how much is shipping to alaska?' }] });
    expect(asked.at(-1)!.temperature).toBeUndefined();
    expect(plain.choices[0].message.content).toBe('Standard shipping to Alaska is a flat $12.99.');
    expect(plain.choices[0].finish_reason).toBe('stop');
  });

  it('marks an answer shaped by the caller as not for the shared cache', async () => {
    const gen = async (extra: Record<string, unknown>) =>
      (await (await fetch(`${r.url}/v1/generate`, { method: 'POST', headers: { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ message: 'how much is shipping to alaska?', sessionId: 'g', ...extra }) })).json()).done;
    expect((await gen({})).cacheable).toBe(true);
    expect((await gen({ generation: { temperature: 1.5 } })).cacheable).toBe(false);
  });

  it("shows the caller's system messages to the LLM after the operator's prompt, in one system message, and shares no such answer", async () => {
    const client = new OpenAI({ baseURL: `${r.url}/v1`, apiKey: 'dev-edge-key', maxRetries: 0 });
    const c = await client.chat.completions.create({
      model: 'x',
      messages: [
        { role: 'system', content: 'Reply like a pirate.' },
        { role: 'user', content: 'how much is shipping to alaska?' },
      ],
    });
    expect(c.choices[0].message.content).toBe('Standard shipping to Alaska is a flat $12.99.');
    const sent = asked.at(-1)! as unknown as { messages: { role: string; content: string }[] };
    expect(sent.messages.filter((m) => m.role === 'system')).toHaveLength(1);
    const system = sent.messages[0].content;
    expect(system).toMatch(/Kitsune Books/); // the operator's prompt first
    expect(system.indexOf('Reply like a pirate.')).toBeGreaterThan(system.indexOf('Kitsune Books'));
    expect(system).toMatch(/Instructions from the application calling this assistant[^\n]*\nReply like a pirate\.$/);
    expect(sent.messages.at(-1)!.content).toMatch(/how much is shipping to alaska\?$/);
    const done = (await (await fetch(`${r.url}/v1/generate`, { method: 'POST', headers: { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ message: 'how much is shipping to alaska?', sessionId: 'i', generation: { instructions: 'Reply like a pirate.' } }) })).json()).done;
    expect(done.cacheable).toBe(false);
  });
});
