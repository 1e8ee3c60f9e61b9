/**
 * API key secrets: a key is `sy_<role>_<32 random base62 chars>`; the store keeps only its sha256
 * and a short display prefix. Lookups hash the presented key and query by hash.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRecord, ApiKeyRole, NewApiKey, Store } from './types.ts';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIX_CHARS = 12;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateApiKey(role: ApiKeyRole): { key: string; keyHash: string; prefix: string } {
  const bytes = randomBytes(64);
  let body = '';
  for (const b of bytes) {
    if (b < 248) body += BASE62[b % 62]; // 248 = 4 × 62: no modulo bias
    if (body.length === 32) break;
  }
  if (body.length < 32) return generateApiKey(role);
  const key = `sy_${role}_${body}`;
  return { key, keyHash: hashApiKey(key), prefix: key.slice(0, PREFIX_CHARS) };
}

/** Creates a key; the returned `key` is shown once and never stored. */
export async function issueApiKey(
  store: Store,
  opts: Omit<NewApiKey, 'keyHash' | 'prefix'>,
): Promise<{ key: string; record: ApiKeyRecord }> {
  const { key, keyHash, prefix } = generateApiKey(opts.role);
  const record = await store.createApiKey({ ...opts, keyHash, prefix });
  return { key, record };
}

/** The active key record for a presented secret, or null (unknown or revoked). */
export async function findActiveApiKey(store: Store, presented: string): Promise<ApiKeyRecord | null> {
  if (typeof presented !== 'string' || presented.length === 0 || presented.length > 256) return null;
  const rec = await store.getApiKeyByHash(hashApiKey(presented));
  return rec && !rec.revokedAt ? rec : null;
}
