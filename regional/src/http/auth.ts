/**
 * API keys for partners, the edge and admins: `Authorization: Bearer <key>`, looked up by sha256,
 * with a per-key rate limit (requests per minute; per process, or shared through Redis: see
 * rate-limit.ts) and a daily token quota (from recorded usage). 401 UNAUTHORIZED, 403 FORBIDDEN,
 * 429 RATE_LIMITED / QUOTA_EXCEEDED, each 429 with `Retry-After`. Routes that only read the
 * key's own state (GET /v1/usage) pass `{ limits: false }`: a key over its limits can still see
 * why. A route that knows its request's size checks it against the quota with {@link checkQuota}
 * before doing the work, so one large request cannot spend far past the quota.
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../../../shared/api/errors.ts';
import { findActiveApiKey, hashApiKey } from '../store/api-keys.ts';
import type { ApiKeyRecord, ApiKeyRole, Store } from '../store/types.ts';
import type { KeyRateLimiter } from './rate-limit.ts';

export type AuthVars = { Variables: { apiKey: ApiKeyRecord } };

export function today(now = Date.now()): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Seconds until the next UTC day, when a daily quota starts again. */
export function secondsToNextDay(now = Date.now()): number {
  const next = new Date(now);
  next.setUTCHours(24, 0, 0, 0);
  return Math.max(1, Math.ceil((next.getTime() - now) / 1000));
}

/** QUOTA_EXCEEDED (with Retry-After) unless today's tokens plus `estimate` fit the key's daily quota. */
export async function checkQuota(store: Store, key: ApiKeyRecord, estimate = 0): Promise<void> {
  if (key.dailyTokenQuota == null) return;
  const u = await store.getUsage(key.id, today());
  const used = u.tokensIn + u.tokensOut;
  if (used >= key.dailyTokenQuota || (estimate > 0 && used + estimate > key.dailyTokenQuota)) {
    const ask = estimate > 0 ? `; this request needs about ${estimate}` : '';
    throw new ApiError('QUOTA_EXCEEDED', `daily token quota of ${key.dailyTokenQuota} would be exceeded (${used} tokens used today${ask})`).retryAfter(secondsToNextDay());
  }
}

export function requireKey(store: Store, limiter: KeyRateLimiter, roles: ApiKeyRole[], opts: { limits?: boolean } = {}): MiddlewareHandler<AuthVars> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const presented = header.replace(/^Bearer\s+/i, '').trim();
    if (!presented) throw new ApiError('UNAUTHORIZED', 'an API key is required: Authorization: Bearer <key>');
    const key = await findActiveApiKey(store, presented);
    if (!key) {
      const known = await store.getApiKeyByHash(hashApiKey(presented));
      throw known ? new ApiError('FORBIDDEN', 'this API key has been revoked') : new ApiError('UNAUTHORIZED', 'unknown API key');
    }
    if (!roles.includes(key.role) && key.role !== 'admin') throw new ApiError('FORBIDDEN', `a ${key.role} key may not call this endpoint`);
    if (opts.limits !== false) {
      const wait = await limiter.take(key.id, key.rateLimitPerMinute);
      if (wait) throw new ApiError('RATE_LIMITED', `rate limit of ${key.rateLimitPerMinute} requests per minute reached; retry in ${wait} s`).retryAfter(wait);
      await checkQuota(store, key);
    }
    c.set('apiKey', key);
    await next();
  };
}

/** Makes sure the configured bootstrap keys exist (by hash), so the edge and an admin can call in. */
export async function ensureBootstrapKeys(store: Store, keys: { key: string; name: string; role: ApiKeyRole; rateLimitPerMinute: number }[]): Promise<void> {
  for (const k of keys) {
    const keyHash = hashApiKey(k.key);
    if (await store.getApiKeyByHash(keyHash)) continue;
    await store.createApiKey({ name: k.name, keyHash, prefix: k.key.slice(0, 6), role: k.role, rateLimitPerMinute: k.rateLimitPerMinute, dailyTokenQuota: null });
  }
}
