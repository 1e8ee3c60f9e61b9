/**
 * The edge's region stream with one region configured (edge/src/chat/upstream.ts): handed on as
 * the region sends it, without the failover layer in between, and failing the way it did through
 * that layer (the same UpstreamError and fallback). The region is mocked at the HTTP boundary (msw).
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamFromRegion, UpstreamError } from '../edge/src/chat/upstream.ts';
import { resetRegionHealth, regionOrder } from '../edge/src/chat/region-failover.ts';
import type { ChatEvent, GenerateRequest } from '../shared/api/chat.ts';

const events: ChatEvent[] = [
  { event: 'route', data: { intent: 'shipping', confidence: 0.9, path: 'llm', modelVersion: 'r1', traceId: 't', fallbacks: [] } },
  { event: 'delta', data: { text: 'Ships in ' } },
  { event: 'delta', data: { text: 'two days.' } },
  { event: 'done', data: { latencyMs: { total: 12 }, fallbacks: [] } },
] as ChatEvent[];
const sse = (list: ChatEvent[]) => list.map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`).join('');

const region = setupServer(
  http.post('http://one.test/v1/generate', () => new HttpResponse(sse(events), { headers: { 'content-type': 'text/event-stream' } })),
  http.post('http://down.test/v1/generate', () => HttpResponse.json({ error: { code: 'UNAVAILABLE', message: 'busy' } }, { status: 503 })),
  http.post('http://cut.test/v1/generate', () => new HttpResponse(sse(events.slice(0, 2)), { headers: { 'content-type': 'text/event-stream' } })),
);
beforeAll(() => region.listen({ onUnhandledRequest: 'error' }));
afterAll(() => region.close());

const req = { message: 'when does it ship?', sessionId: 's1' } as GenerateRequest;
const opts = (baseUrl: string) => ({ baseUrl, traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01', firstEventMs: 2000, idleMs: 2000 });
async function collect(it: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('the region stream with one region', () => {
  it('yields the region\'s events as sent, ending at done', async () => {
    expect(await collect(streamFromRegion(req, opts('http://one.test')))).toEqual(events);
    // REGIONAL_URLS of one is the same one region.
    expect(await collect(streamFromRegion(req, { ...opts('http://ignored.test'), baseUrls: ['http://one.test'] }))).toEqual(events);
  });

  it('fails as before: an HTTP error before any event is region_error with its status, and the region is not marked down', async () => {
    resetRegionHealth();
    const e = await collect(streamFromRegion(req, opts('http://down.test'))).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UpstreamError);
    expect(e).toMatchObject({ fallback: 'region_error', status: 503, midStream: false });
    expect(regionOrder(['http://other.test', 'http://down.test'])).toEqual(['http://other.test', 'http://down.test']);
  });

  it('a stream cut before done is region_error mid-stream, after the events that came', async () => {
    const seen: ChatEvent[] = [];
    const e = await (async () => {
      for await (const ev of streamFromRegion(req, opts('http://cut.test'))) seen.push(ev);
    })().catch((x: unknown) => x);
    expect(seen).toEqual(events.slice(0, 2));
    expect(e).toMatchObject({ fallback: 'region_error', midStream: true });
  });
});
