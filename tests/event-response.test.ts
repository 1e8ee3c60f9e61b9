import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ChatEvent } from '../shared/api/chat.ts';
import { sseStream } from '../shared/api/event-response.ts';

const delta = (text: string): ChatEvent => ({ event: 'delta', data: { text } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sseStream', () => {
  it.each([
    ['more events arrive', true],
    ['the answer ends', false],
  ])('reports no failure when %s after the client went away (served by @hono/node-server)', async (_, more) => {
    const errors: unknown[] = [];
    let finished = false;
    async function* events(): AsyncGenerator<ChatEvent> {
      try {
        yield delta('first');
        await sleep(150);
        if (more) for (let i = 0; i < 5; i++) yield delta(`late ${i}`);
      } finally {
        finished = true;
      }
    }
    const app = new Hono().get('/', () => new Response(sseStream(events(), { onError: (e) => errors.push(e) }), { headers: { 'content-type': 'text/event-stream' } }));
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    try {
      const ac = new AbortController();
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { signal: ac.signal });
      const reader = res.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toContain('first');
      ac.abort();
      await sleep(400);
      expect(finished).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('reports a failing source once and closes with an INTERNAL error event', async () => {
    const errors: unknown[] = [];
    async function* events(): AsyncGenerator<ChatEvent> {
      yield delta('a');
      throw new Error('boom');
    }
    const text = await new Response(sseStream(events(), { onError: (e) => errors.push(e) })).text();
    expect(text).toContain('event: error');
    expect(text).toContain('"code":"INTERNAL"');
    expect(errors).toHaveLength(1);
  });
});
