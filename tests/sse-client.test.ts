import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChatEvent } from '../shared/api/chat.ts';
import { Deadline } from '../shared/api/deadline.ts';
import { END_AFTER_DONE_MS, fetchEventStream } from '../shared/api/sse-client.ts';

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** A region stand-in: route, one delta and done at once, then the end of the stream `endAfterMs` later (never when null). Counts its TCP connections. */
async function region(endAfterMs: number | null): Promise<{ url: string; connections: () => number; closed: () => number; server: Server }> {
  let connections = 0;
  let closed = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sse('route', { intent: 'recommendation', confidence: 0.9, path: 'llm', modelVersion: 'm@1', traceId: 't', fallbacks: [] }));
      res.write(sse('delta', { text: 'hello' }));
      res.write(sse('done', { latencyMs: { total: 1 }, fallbacks: [] }));
      if (endAfterMs !== null) setTimeout(() => res.end(), endAfterMs);
    });
  });
  server.on('connection', (s) => {
    connections++;
    s.on('close', () => closed++);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections, closed: () => closed, server };
}

/** Reads events until `done`, then stops, as the edge's upstream does. */
async function untilDone(url: string): Promise<ChatEvent[]> {
  const seen: ChatEvent[] = [];
  for await (const ev of fetchEventStream({ url: `${url}/v1/generate`, body: { message: 'hi', sessionId: 's' }, firstEventMs: 5000, idleMs: 5000, stallMs: 5000 })) {
    seen.push(ev);
    if (ev.event === 'done') break;
  }
  return seen;
}

describe('fetchEventStream', () => {
  let server: Server | undefined;
  afterEach(() => void server?.close());

  it('reads the end of a finished stream, so a caller that stops at done leaves the connection for the next request', async () => {
    // The end comes a moment after done: a body let go at done would close its connection.
    const r = await region(20);
    server = r.server;
    for (let i = 0; i < 3; i++) {
      expect((await untilDone(r.url)).map((e) => e.event)).toEqual(['route', 'delta', 'done']);
      await new Promise((res) => setTimeout(res, 50)); // undici gives a finished connection back to its pool a moment later
    }
    expect(r.connections()).toBe(1);
  });

  it('lets a stream go that does not end after done (within END_AFTER_DONE_MS), closing its connection', async () => {
    const r = await region(null);
    server = r.server;
    const t0 = Date.now();
    expect((await untilDone(r.url)).map((e) => e.event)).toEqual(['route', 'delta', 'done']);
    expect(Date.now() - t0).toBeLessThan(END_AFTER_DONE_MS + 4000);
    // The answer's connection is closed (undici may open an idle one of its own afterwards).
    await vi.waitFor(() => expect(r.closed()).toBeGreaterThanOrEqual(1));
  });
});

describe('Deadline', () => {
  afterEach(() => void vi.useRealTimers());

  it('expires once, `ms` after it was last set; moving it later defers it, earlier brings it forward, clear stops it', () => {
    vi.useFakeTimers();
    let expired = 0;
    const d = new Deadline(() => expired++);
    d.set(100);
    vi.advanceTimersByTime(60);
    d.set(100); // now due at 160
    vi.advanceTimersByTime(60);
    expect(expired).toBe(0);
    vi.advanceTimersByTime(40);
    expect(expired).toBe(1);
    vi.advanceTimersByTime(500);
    expect(expired).toBe(1);

    d.set(1000);
    d.set(10); // earlier: due at once
    vi.advanceTimersByTime(10);
    expect(expired).toBe(2);

    d.set(50);
    d.clear();
    vi.advanceTimersByTime(1000);
    expect(expired).toBe(2);
  });
});
