/**
 * The edge Worker in real workerd (wrangler dev) against the hostile cases of issue 20: per-client
 * limits (the rate-limiting bindings of wrangler.toml, simulated locally) with Retry-After, the
 * origin allow-list, NUL bytes, messages in a script the models cannot read, and a health check
 * that says "degraded" (503 when strict) while the edge runs without its models.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setupOrFail } from './helpers/setup-or-fail.ts';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { startEdgeProcess, type EdgeProcess } from '../scripts/edge-process.ts';

let dir: string;
let regional: RunningRegional;
let edge: EdgeProcess;
let bare: EdgeProcess;
const SHOP = 'https://shop.example';
const port = () => 20000 + 2 * Math.floor(Math.random() * 2500);

setupOrFail(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-edge-harden-'));
  regional = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'regional.db') }), () => {});
  [edge, bare] = await Promise.all([
    startEdgeProcess({ port: port(), regionalUrl: regional.url, persistTo: join(dir, 'w1'), vars: { MODEL_REFRESH_INTERVAL_MS: '0', ALLOWED_ORIGINS: SHOP, LOG_MESSAGES: 'true' }, quiet: true }),
    startEdgeProcess({ port: port(), regionalUrl: regional.url, persistTo: join(dir, 'w2'), vars: { MODEL_REFRESH_INTERVAL_MS: '0', EDGE_MODELS: 'off' }, quiet: true }),
  ]);
}, 240_000);

afterAll(async () => {
  await Promise.all([edge?.stop(), bare?.stop()]);
  await regional?.close();
  rmSync(dir, { recursive: true, force: true });
});

const chat = (base: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('edge hardening in workerd', () => {
  it('answers only the allowed origins, and refuses a POST from any other with 403 ORIGIN_NOT_ALLOWED', async () => {
    const pre = await fetch(`${edge.url}/v1/chat`, { method: 'OPTIONS', headers: { origin: SHOP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(pre.headers.get('access-control-allow-origin')).toBe(SHOP);
    const evilPre = await fetch(`${edge.url}/v1/chat`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(evilPre.headers.get('access-control-allow-origin')).toBeNull();
    const evil = await chat(edge.url, { message: 'hello', sessionId: 'o-1' }, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect((await evil.json()).error.code).toBe('ORIGIN_NOT_ALLOWED');
    const ok = await chat(edge.url, { message: 'hello', sessionId: 'o-1' }, { origin: SHOP });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(SHOP);
    // The Worker's own page (same origin) and callers without an Origin (servers) pass.
    expect((await chat(edge.url, { message: 'hello', sessionId: 'o-1' }, { origin: edge.url })).status).toBe(200);
    // In local dev "*" allows any origin (the other edge runs with wrangler.toml's "*").
    const local = await chat(bare.url, { message: 'hello', sessionId: 'o-2' }, { origin: 'http://127.0.0.1:5173' });
    expect(local.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
  });

  it('refuses NUL bytes and deep nesting with 400 INVALID_REQUEST', async () => {
    for (const body of [
      { message: 'hi\u0000there', sessionId: 'n-1' },
      { message: 'hello', sessionId: 'n\u00002' },
      `{"message":"hello","sessionId":"n-3","x":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    ]) {
      const res = await chat(edge.url, body);
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe('INVALID_REQUEST');
    }
  });

  it('sends a message in a script its models cannot read to the region instead of guessing an intent', async () => {
    const res = await chat(edge.url, { message: '日本への発送は何日かかりますか', sessionId: 'ja-edge' });
    expect(res.status).toBe(200);
    const j = await res.json();
    expect(j.route.path).toBe('llm');
    expect(j.route.intent).toBe('oos');
    expect(j.route.fallbacks).toContain('out_of_vocabulary');
    expect(j.text.length).toBeGreaterThan(0);
  });

  /** The edge's JSON log line of the request with this trace id, waited for up to 5 s. */
  async function edgeLogLine(trace: string) {
    const find = () =>
      edge
        .output()
        .split('\n')
        .map((l) => l.slice(l.indexOf('{')))
        .filter((l) => l.startsWith('{') && l.includes('"tier":"edge"'))
        .map((l) => JSON.parse(l))
        .find((l) => l.traceId === trace);
    for (let i = 0; i < 50 && !find(); i++) await new Promise((r) => setTimeout(r, 100));
    return find();
  }

  it('writes one JSON log line per request, with path, intent and the message PII-redacted', async () => {
    const trace = '0af7651916cd43dd8448eb211c80319c';
    const res = await chat(edge.url, { message: 'hello! write to bob.smith@example.org', sessionId: 'log-edge' }, { traceparent: `00-${trace}-b7ad6b7169203331-01`, accept: 'text/event-stream' });
    await res.text();
    const line = await edgeLogLine(trace);
    expect(line).toMatchObject({ level: 'info', tier: 'edge', method: 'POST', route: '/v1/chat', status: 200 });
    expect(['template', 'cache', 'llm', 'fallback']).toContain(line.path);
    expect(typeof line.intent).toBe('string');
    expect(Number.isNaN(Date.parse(line.time))).toBe(false);
    expect(line.latencySeconds).toBeGreaterThanOrEqual(0);
    expect(line.message).toContain('[email]');
    expect(edge.output()).not.toContain('bob.smith@example.org');
  });

  it('writes the log line of a streamed /v1/chat/completions answer when it ends, with its path and intent', async () => {
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${edge.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${trace}-00f067aa0ba902b7-01` },
      body: JSON.stringify({ model: 'switchyard', stream: true, messages: [{ role: 'user', content: 'hello!' }] }),
    });
    expect(await res.text()).toContain('data: [DONE]');
    expect(await edgeLogLine(trace)).toMatchObject({ route: '/v1/chat/completions', status: 200, path: 'template', intent: 'greeting_chitchat' });
  });

  it('logs a /v1/chat/completions answer under the trace id it answered with when the client sent none', async () => {
    const res = await fetch(`${edge.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'switchyard', messages: [{ role: 'user', content: 'thanks, bye!' }] }),
    });
    expect(res.status).toBe(200);
    await res.json();
    const trace = res.headers.get('traceparent')?.split('-')[1] ?? '';
    expect(trace).toMatch(/^[0-9a-f]{32}$/);
    expect(await edgeLogLine(trace)).toMatchObject({ route: '/v1/chat/completions', status: 200, traceId: trace });
  });

  it('says "degraded" without its models, and 503 with ?strict=1', async () => {
    const loose = await fetch(`${bare.url}/healthz`);
    expect(loose.status).toBe(200);
    expect(await loose.json()).toMatchObject({ status: 'degraded', models: 'unavailable', code: 'MODELS_DISABLED' });
    const strict = await fetch(`${bare.url}/healthz?strict=1`);
    expect(strict.status).toBe(503);
    expect((await fetch(`${edge.url}/healthz?strict=1`)).status).toBe(200);
  });

  it('limits one session, then one client, with 429 RATE_LIMITED and Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 35; i++) {
      const res = await chat(edge.url, { message: 'hello', sessionId: 'one-busy-session' }, { 'cf-connecting-ip': '198.51.100.1' });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect((await res.json()).error.code).toBe('RATE_LIMITED');
      } else await res.body?.cancel();
    }
    expect(statuses.filter((s) => s === 200).length).toBe(30);
    expect(statuses.slice(30).every((s) => s === 429)).toBe(true);
    expect(Number(retryAfter)).toBeGreaterThan(0);

    // One client rotating session ids: its IP's budget runs out (120 per minute).
    const rotating = await Promise.all(
      Array.from({ length: 150 }, (_, i) => chat(edge.url, { message: 'hello', sessionId: `rot-${i}` }).then(async (r) => (await r.body?.cancel(), r.status))),
    );
    expect(rotating.filter((s) => s === 429).length).toBeGreaterThan(0);
  });
});
