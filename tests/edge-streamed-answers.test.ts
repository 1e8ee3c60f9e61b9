/**
 * The edge's streamed answers, in real workerd (wrangler dev) in front of a stand-in region (the
 * HTTP boundary: a Node server speaking `/v1/generate`'s events). The contract any change to how
 * the edge streams must keep (branch ttft4 tried workerd's native byte stream against it): every
 * frame arrives, in order, on both streamed routes; the first text reaches the client while the
 * region's answer is still open (nothing is held back for the end); and a client that goes away
 * mid-answer leaves no region call open past the edge's idle deadline (UPSTREAM_IDLE_TIMEOUT_MS,
 * 10 s; under wrangler dev the client's leaving does not reach the Worker sooner).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEdgeProcess, type EdgeProcess } from '../scripts/edge-process.ts';
import { setupOrFail } from './helpers/setup-or-fail.ts';

// A recommendation takes the LLM path at the edge (never a template or the cache).
const ASK = 'can you recommend a dark fantasy manga like berserk?';
const FIRST = 'Try Claymore. ';
const REST = 'Or Vinland Saga.';

/** The region: the route event and the first text at once; the rest (and done) only when `release` is called. */
interface Region {
  server: Server;
  url: string;
  /** Requests whose connection closed before the region ended its answer. */
  closedEarly: number;
  release: () => void;
}
async function startRegion(): Promise<Region> {
  const region = { closedEarly: 0, release: () => {} } as unknown as Region;
  const waiting: (() => void)[] = [];
  region.release = () => waiting.splice(0).forEach((f) => f());
  const send = (res: ServerResponse, event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  region.server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    for await (const _ of req);
    let ended = false;
    res.on('close', () => void (!ended && region.closedEarly++));
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    send(res, 'route', { intent: 'recommendation', confidence: 0.7, path: 'llm', modelVersion: 'stand-in', traceId: 't', fallbacks: [], generator: 'stand-in' });
    send(res, 'delta', { text: FIRST });
    await new Promise<void>((r) => waiting.push(r));
    send(res, 'delta', { text: REST });
    send(res, 'done', { latencyMs: { classify: 0, cache: 0, upstream: 1, total: 1 }, usage: { inputTokens: 10, outputTokens: 5 }, cacheable: false });
    ended = true;
    res.end();
  });
  await new Promise<void>((r) => region.server.listen(0, '127.0.0.1', r));
  region.url = `http://127.0.0.1:${(region.server.address() as AddressInfo).port}`;
  return region;
}

const routes = {
  '/v1/chat/completions': { body: { model: 'switchyard', stream: true, messages: [{ role: 'user', content: ASK }] }, first: /"delta":\{"content":"Try Claymore/ },
  '/v1/chat': { body: { message: ASK, sessionId: 'streamed-answers' }, first: /event: delta\ndata: \{"text":"Try Claymore/ },
};

/** Reads the response until `until` matches what came; returns the reader and the text so far. */
async function readUntil(res: Response, until: RegExp) {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  while (!until.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
  }
  return { reader, text, dec };
}

describe('streamed answers through the edge (real workerd)', () => {
  let dir: string;
  let region: Region;
  let edge: EdgeProcess;
  setupOrFail(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sy-streamed-answers-'));
    region = await startRegion();
    edge = await startEdgeProcess({ port: 21000 + Math.floor(Math.random() * 2000), regionalUrl: region.url, persistTo: join(dir, 'w'), vars: { MODEL_REFRESH_INTERVAL_MS: '0', CLIENT_RATE_LIMIT_PER_MINUTE: 'off', SESSION_RATE_LIMIT_PER_MINUTE: 'off' }, quiet: true });
  }, 400_000);
  afterAll(async () => {
    region?.release();
    await edge?.stop();
    await new Promise((r) => region?.server.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [route, { body, first }] of Object.entries(routes)) {
    it(`${route}: the first text arrives while the region's answer is open, then every frame in order`, async () => {
      const res = await fetch(edge.url + route, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      if (route === '/v1/chat/completions') expect(res.headers.get('x-switchyard-route')).toBe('llm');
      const { reader, text: head, dec } = await readUntil(res, first);
      expect(head).toMatch(first); // the region has not ended: nothing waited for the end
      region.release();
      let text = head;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += dec.decode(value, { stream: true });
      }
      if (route === '/v1/chat') {
        expect([...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1])).toEqual(['route', 'delta', 'delta', 'done']);
      } else {
        const frames = text.trim().split('\n\n').map((f) => f.replace(/^data: /, ''));
        expect(frames.at(-1)).toBe('[DONE]');
        const chunks = frames.slice(0, -1).map((f) => JSON.parse(f));
        expect(chunks.map((c) => c.choices[0]?.delta?.content ?? null)).toEqual(['', FIRST, REST, null]);
        expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');
      }
    }, 60_000);

    it(`${route}: a client that goes away mid-answer leaves no region call open`, async () => {
      const before = region.closedEarly;
      const res = await fetch(edge.url + route, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const { reader } = await readUntil(res, first);
      await reader.cancel();
      const until = Date.now() + 15_000;
      while (region.closedEarly === before && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(region.closedEarly).toBe(before + 1);
      region.release(); // nothing is waiting any more (its connection is gone)
    }, 60_000);
  }
});
