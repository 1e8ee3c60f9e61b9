/**
 * Per-key rate limits shared through the real Redis at 127.0.0.1:6379 (a unique key prefix per
 * run), and what happens when Redis is unreachable or hangs: requests are still served, limited
 * by the in-process limiter, and each such check is counted as a fallback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { RedisRateLimiter, rateLimitRedis } from '../regional/src/http/rate-limit.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { closedPort } from './helpers/closed-port.ts';

const REDIS = process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `sy-test:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}`;
const ADMIN = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };

/** Resolves once the limiter's Redis connection is ready. */
const ready = (l: RedisRateLimiter) => new Promise<void>((r) => (l.redis.status === 'ready' ? r() : l.redis.once('ready', () => r())));


afterAll(async () => {
  const r = new Redis(REDIS);
  const keys = await r.keys(`${PREFIX}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
});

describe('RedisRateLimiter', () => {
  it('shares one limit between limiters on separate connections', async () => {
    const fallbacks: unknown[] = [];
    const make = () => new RedisRateLimiter(rateLimitRedis(REDIS, 1000), { prefix: `${PREFIX}:unit`, timeoutMs: 1000, onFallback: (e) => fallbacks.push(e) });
    const [a, b] = [make(), make()];
    try {
      await Promise.all([a, b].map(ready));
      const waits = [await a.take('key-1', 3), await b.take('key-1', 3), await a.take('key-1', 3), await b.take('key-1', 3), await a.take('key-1', 3)];
      expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
      expect(waits[3]).toBeGreaterThan(0);
      expect(waits[3]).toBeLessThanOrEqual(60);
      expect(waits[4]).toBeGreaterThan(0);
      // Another key has its own budget.
      expect(await b.take('key-2', 3)).toBe(0);
      expect(fallbacks).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('falls back to the in-process limit when Redis is unreachable', async () => {
    const fallbacks: unknown[] = [];
    const l = new RedisRateLimiter(rateLimitRedis(`redis://127.0.0.1:${await closedPort()}`, 100), { prefix: `${PREFIX}:down`, timeoutMs: 100, onFallback: (e) => fallbacks.push(e) });
    try {
      expect([await l.take('k', 2), await l.take('k', 2)]).toEqual([0, 0]);
      expect(await l.take('k', 2)).toBeGreaterThan(0);
      expect(fallbacks).toHaveLength(3);
    } finally {
      await l.close();
    }
  });

  it('falls back when Redis stops answering on a ready connection (the timeout)', async () => {
    // A proxy to the real Redis that, once stalled, keeps the connection open and drops every byte.
    const target = new URL(REDIS);
    let stall = false;
    const sockets = new Set<Socket>();
    const proxy: Server = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
        sockets.add(from);
        from.on('error', () => {});
        from.on('data', (d) => stall || to.write(d));
      }
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const fallbacks: unknown[] = [];
    const l = new RedisRateLimiter(rateLimitRedis(`redis://127.0.0.1:${(proxy.address() as { port: number }).port}`, 50), { prefix: `${PREFIX}:hang`, timeoutMs: 50, onFallback: (e) => fallbacks.push(e) });
    try {
      await ready(l);
      expect(await l.take('k', 1)).toBe(0);
      expect(fallbacks).toEqual([]);
      stall = true;
      // Redis has counted one already; the in-process limiter has not: one more goes through.
      expect(await l.take('k', 1)).toBe(0);
      expect(await l.take('k', 1)).toBeGreaterThan(0);
      expect(fallbacks).toHaveLength(2);
    } finally {
      await l.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });
});

describe('the region with REDIS_URL', () => {
  let dir: string;
  const running: RunningRegional[] = [];
  const start = async (env: Record<string, string>) => {
    const r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'r.db'), SEED_STORE_KB: 'false', ...env }), () => {});
    running.push(r);
    return r;
  };
  const embed = async (r: RunningRegional, key: string) =>
    (await fetch(r.url + '/v1/embeddings', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ input: 'x' }) })).status;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sy-ratelimit-'));
  });
  afterAll(async () => {
    for (const r of running) await r.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two instances on one database share a key limit through Redis', async () => {
    const env = { REDIS_URL: REDIS, REDIS_KEY_PREFIX: `${PREFIX}:app` };
    const a = await start(env);
    const b = await start(env);
    const issued = await (await fetch(a.url + '/v1/admin/keys', { method: 'POST', headers: ADMIN, body: JSON.stringify({ name: 'shared', rateLimitPerMinute: 3, dailyTokenQuota: null }) })).json();
    await Promise.all([a, b].map((r) => ready(r.services.rateLimiter as RedisRateLimiter)));
    const codes = [await embed(a, issued.key), await embed(b, issued.key), await embed(a, issued.key), await embed(b, issued.key), await embed(a, issued.key)];
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    const metrics = await (await fetch(b.url + '/metrics')).text();
    expect(metrics).not.toMatch(/switchyard_fallbacks_total\{kind="rate_limit_redis"\}/);
  });

  it('serves requests under the in-process limit when Redis is unreachable, and counts the fallback', async () => {
    const r = await start({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, REDIS_KEY_PREFIX: `${PREFIX}:down-app` });
    const issued = await (await fetch(r.url + '/v1/admin/keys', { method: 'POST', headers: ADMIN, body: JSON.stringify({ name: 'solo', rateLimitPerMinute: 2, dailyTokenQuota: null }) })).json();
    const codes = [await embed(r, issued.key), await embed(r, issued.key), await embed(r, issued.key)];
    expect(codes).toEqual([200, 200, 429]);
    const metrics = await (await fetch(r.url + '/metrics')).text();
    const n = Number(/switchyard_fallbacks_total\{kind="rate_limit_redis"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    // The admin call and the three embeddings calls were all checked in process.
    expect(n).toBeGreaterThanOrEqual(4);
  });
});
