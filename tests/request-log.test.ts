/**
 * One JSON log line per request at the region (pino): time, level, trace id, route pattern,
 * status, latency in seconds, key id (never the key), the answer's path and intent; the message
 * only with LOG_MESSAGES=true, and then PII-redacted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { createRequestLogger } from '../regional/src/http/request-log.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';

let dir: string;
let r: RunningRegional;
const lines: Record<string, unknown>[] = [];
const ADMIN = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };
const EDGE = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json' };
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-log-'));
  r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'r.db'), LOG_MESSAGES: 'true' }), () => {});
  const sink = new Writable({ write: (chunk, _enc, cb) => (String(chunk).split('\n').filter(Boolean).forEach((l) => lines.push(JSON.parse(l))), cb()) });
  r.services.logger = createRequestLogger('info', sink);
}, 120_000);
afterAll(async () => {
  await r?.close();
  rmSync(dir, { recursive: true, force: true });
});

const until = async (pred: () => boolean) => {
  for (let i = 0; i < 100 && !pred(); i++) await new Promise((res) => setTimeout(res, 20));
  expect(pred()).toBe(true);
};

describe('request log', () => {
  it('writes one line per streamed answer when it ends, with path, intent, trace and key id, the message redacted', async () => {
    const res = await fetch(`${r.url}/v1/generate`, {
      method: 'POST',
      headers: { ...EDGE, accept: 'text/event-stream', traceparent: `00-${TRACE}-00f067aa0ba902b7-01` },
      body: JSON.stringify({ message: 'where is my order? mail me at jane.doe@example.com', sessionId: 'log-1' }),
    });
    await res.text();
    await until(() => lines.some((l) => l.route === '/v1/generate'));
    const gen = lines.filter((l) => l.route === '/v1/generate');
    expect(gen).toHaveLength(1);
    const line = gen[0];
    expect(line).toMatchObject({ level: 'info', tier: 'regional', traceId: TRACE, method: 'POST', status: 200, msg: 'request' });
    expect(typeof line.time).toBe('string');
    expect(Number.isNaN(Date.parse(line.time as string))).toBe(false);
    expect(line.latencySeconds).toBeGreaterThan(0);
    expect(line.latencySeconds).toBeLessThan(60);
    expect(['llm', 'fallback', 'cache', 'template']).toContain(line.path);
    expect(typeof line.intent).toBe('string');
    const edgeKey = (await r.services.store.getApiKeyByHash((await import('../regional/src/store/api-keys.ts')).hashApiKey('dev-edge-key')))!;
    expect(line.keyId).toBe(edgeKey.id);
    expect(line.message).toContain('[email]');
    expect(JSON.stringify(lines)).not.toContain('jane.doe@example.com');
    expect(JSON.stringify(lines)).not.toContain('dev-edge-key');
  });

  it('logs refusals as warn with the route pattern (no ids), and never the key', async () => {
    lines.length = 0;
    await fetch(`${r.url}/v1/kb/documents/some%2Fsecret-id`, { method: 'DELETE', headers: ADMIN });
    await fetch(`${r.url}/v1/embeddings`, { method: 'POST', headers: { ...EDGE }, body: '{oops' });
    await until(() => lines.length >= 2);
    expect(lines.map((l) => [l.level, l.route, l.status])).toEqual([
      ['warn', '/v1/kb/documents/:id{.+}', 404],
      ['warn', '/v1/embeddings', 400],
    ]);
    expect(JSON.stringify(lines)).not.toContain('secret-id');
    expect(JSON.stringify(lines)).not.toContain('dev-admin-key');
    expect(lines.every((l) => /^[0-9a-f]{32}$/.test(l.traceId as string))).toBe(true);
  });

  it('leaves the message out unless LOG_MESSAGES is true', async () => {
    lines.length = 0;
    (r.services.config as { LOG_MESSAGES: string }).LOG_MESSAGES = 'false';
    await (await fetch(`${r.url}/v1/generate`, { method: 'POST', headers: { ...EDGE, accept: 'application/json' }, body: JSON.stringify({ message: 'what are your hours?', sessionId: 'log-2' }) })).json();
    await until(() => lines.some((l) => l.route === '/v1/generate'));
    expect(lines.find((l) => l.route === '/v1/generate')!.message).toBeUndefined();
  });
});
