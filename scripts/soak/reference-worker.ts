/**
 * The soak's reference Workers (`--edge-worker pipe|sse-reader`, with `--edge-runner workerd`; bench
 * only, not part of the product): what workerd itself costs per chat that goes upstream, told apart
 * from what the edge Worker's own code costs. Each `POST /v1/chat` goes to the region's
 * `/v1/generate` as the edge sends it (JSON body, `accept: text/event-stream`, the edge's key), with
 * no classifier, cache, session or template in front, so every chat is an upstream chat.
 * - `pipe`: the region's event stream handed back as it is (workerd pipes the body; no JavaScript
 *   per chunk). What any Worker in front of the region costs.
 * - `sse-reader`: the stream read in JavaScript with the edge's own reader (shared/api/sse-client:
 *   its deadlines, its abort controller, stopping at `done` the way edge/src/chat/upstream.ts does)
 *   and answered as one JSON `{route, done}`, the way the edge answers `accept: application/json`.
 * `/v1/classify` is answered locally with an empty result (the edge answers it without the region);
 * `/healthz` says ready at once (no models).
 */
import type { ChatEvent } from '../../shared/api/chat.ts';
import { fetchEventStream } from '../../shared/api/sse-client.ts';

interface Env {
  REGIONAL_URL: string;
  REGION_API_KEY?: string;
  /** pipe | sse-reader */
  REFERENCE_MODE: string;
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === '/healthz') return Response.json({ status: 'ok', models: 'none' });
    if (req.method === 'POST' && url.pathname === '/v1/classify') return Response.json({ results: [] });
    if (req.method !== 'POST' || url.pathname !== '/v1/chat') return Response.json({ error: { code: 'NOT_FOUND' } }, { status: 404 });
    const body = await req.text();
    const target = new URL('/v1/generate', env.REGIONAL_URL);
    const authorization = `Bearer ${env.REGION_API_KEY ?? 'dev-edge-key'}`;
    if (env.REFERENCE_MODE === 'sse-reader') {
      const reply: { route?: unknown; done?: unknown; error?: unknown } = {};
      const events = fetchEventStream({ url: target, body: JSON.parse(body), headers: { authorization }, firstEventMs: 2500, idleMs: 10_000, stallMs: 4000, signal: req.signal });
      for await (const ev of events as AsyncGenerator<ChatEvent>) {
        if (ev.event === 'route' || ev.event === 'done' || ev.event === 'error') reply[ev.event] = ev.data;
        if (ev.event === 'done') break;
      }
      return Response.json(reply);
    }
    const res = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization }, body });
    return new Response(res.body, { status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? 'text/event-stream' } });
  },
};
