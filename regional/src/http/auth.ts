/**
 * API keys for partners, the edge and admins: `Authorization: Bearer <key>`, looked up by sha256,
 * with a per-key rate limit (requests per minute; per process, or shared through Redis: see
 * rate-limit.ts) and a daily token quota (from recorded usage). 401 UNAUTHORIZED, 403 FORBIDDEN,
 * 429 RATE_LIMITED / QUOTA_EXCEEDED.
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

export function requireKey(store: Store, limiter: KeyRateLimiter, roles: ApiKeyRole[]): MiddlewareHandler<AuthVars> {
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
    const wait = await limiter.take(key.id, key.rateLimitPerMinute);
    if (wait) {
      c.header('retry-after', String(wait));
      throw new ApiError('RATE_LIMITED', `rate limit of ${key.rateLimitPerMinute} requests per minute reached; retry in ${wait} s`);
    }
    if (key.dailyTokenQuota != null) {
      const u = await store.getUsage(key.id, today());
      if (u.tokensIn + u.tokensOut >= key.dailyTokenQuota) {
        throw new ApiError('QUOTA_EXCEEDED', `daily token quota of ${key.dailyTokenQuota} is used up (${u.tokensIn + u.tokensOut} tokens today)`);
      }
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
