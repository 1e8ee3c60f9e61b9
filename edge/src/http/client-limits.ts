/**
 * Per-client limits of the edge's browser-facing POST routes, so one client cannot forward an
 * unbounded number of chats to the region's LLM: by client IP (`CF-Connecting-IP`, which
 * Cloudflare sets and a client cannot) before the body is read, and by sessionId once it is.
 * Counted by the Workers rate-limiting bindings CLIENT_LIMITER and SESSION_LIMITER (limits in
 * wrangler.toml); where a binding is absent, by an in-isolate sliding window with
 * CLIENT_RATE_LIMIT_PER_MINUTE / SESSION_RATE_LIMIT_PER_MINUTE. Over the limit: 429 RATE_LIMITED
 * with Retry-After. A binding that fails is not a reason to refuse: the in-isolate window answers.
 * A limit var set to "off" turns that limit off (a load test, or a deployment behind its own limiter).
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../../../shared/api/errors.ts';
import { edgeMetrics } from './metrics.ts';

/** The Workers rate-limiting binding's API (what `RateLimit` of @cloudflare/workers-types declares). */
export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** The bindings and vars these limits read (a part of EdgeEnv). */
export interface LimitEnv {
  CLIENT_LIMITER?: RateLimitBinding;
  SESSION_LIMITER?: RateLimitBinding;
  CLIENT_RATE_LIMIT_PER_MINUTE?: string;
  SESSION_RATE_LIMIT_PER_MINUTE?: string;
}

/** Seconds a client told to wait by a binding waits (bindings count in windows of this length). */
const BINDING_PERIOD_S = 60;
const MAX_TRACKED = 10_000;

/**
 * A sliding one-minute window per key. A key whose last hit has left the window is forgotten on
 * the next take (the map is in order of last use, so those are at its front), so the keys held
 * are the clients of the last minute; and never more than MAX_TRACKED (the oldest dropped first).
 */
export class IsolateWindow {
  private readonly hits = new Map<string, number[]>();

  /** Keys tracked now (at most MAX_TRACKED). */
  get size(): number {
    return this.hits.size;
  }

  /** Seconds to wait, or 0 when the request may go ahead (and is counted). */
  take(key: string, perMinute: number, now = Date.now()): number {
    const since = now - 60_000;
    for (const [k, times] of this.hits) {
      if (times.at(-1)! > since) break;
      this.hits.delete(k);
    }
    // The key's list is kept and trimmed in place: a request allocates nothing that outlives it
    // (a new list per request lived up to a minute, long enough to reach V8's old space).
    const list = this.hits.get(key) ?? [];
    let gone = 0;
    while (gone < list.length && list[gone] <= since) gone++;
    if (gone) list.splice(0, gone);
    this.hits.delete(key);
    this.hits.set(key, list);
    if (list.length >= perMinute) return Math.max(1, Math.ceil((list[0] + 60_000 - now) / 1000));
    list.push(now);
    if (this.hits.size > MAX_TRACKED) this.hits.delete(this.hits.keys().next().value!);
    return 0;
  }
}

const windows = { client: new IsolateWindow(), session: new IsolateWindow() };
edgeMetrics.trackEntries('client_limit_keys', () => windows.client.size);
edgeMetrics.trackEntries('session_limit_keys', () => windows.session.size);

async function take(binding: RateLimitBinding | undefined, window: IsolateWindow, key: string, setting: string | undefined, fallback: number): Promise<number> {
  if (setting === 'off') return 0;
  const perMinute = Number(setting ?? fallback);
  if (binding) {
    try {
      return (await binding.limit({ key })).success ? 0 : BINDING_PERIOD_S;
    } catch (e) {
      console.error('rate-limit binding failed; counting in this isolate:', (e as Error).message);
    }
  }
  return window.take(key, perMinute);
}

function limited(what: string, wait: number): ApiError {
  return new ApiError('RATE_LIMITED', `too many requests from this ${what}; retry in ${wait} s`).retryAfter(wait);
}

/** The client's IP as Cloudflare reports it ("unknown" off Cloudflare, e.g. some local setups). */
export function clientIp(headers: Headers): string {
  return headers.get('cf-connecting-ip')?.trim() || 'unknown';
}

export function limitByClient(): MiddlewareHandler<{ Bindings: LimitEnv }> {
  return async (c, next) => {
    const wait = await take(c.env.CLIENT_LIMITER, windows.client, `ip:${clientIp(c.req.raw.headers)}`, c.env.CLIENT_RATE_LIMIT_PER_MINUTE, 120);
    if (wait) throw limited('client', wait);
    await next();
  };
}

export async function limitBySession(env: LimitEnv, sessionId: string): Promise<void> {
  const wait = await take(env.SESSION_LIMITER, windows.session, `s:${sessionId}`, env.SESSION_RATE_LIMIT_PER_MINUTE, 30);
  if (wait) throw limited('session', wait);
}
