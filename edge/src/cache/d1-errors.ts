/**
 * D1 failures as the edge's clients see them: a query D1 refused (a missing table after a broken
 * migration, a wrong database) or could not run is 503 STORE_UNAVAILABLE with Retry-After on the
 * admin routes, never a bare 500. Chat never sees them: its cache degrades to `cache_unavailable`.
 */
import { anyCause } from '../../../shared/api/error-causes.ts';
import { ApiError } from '../../../shared/api/errors.ts';

/** D1's errors say so in their message ("D1_ERROR: no such table…"), also under drizzle's wrapping (`cause`). */
export function isD1Error(e: unknown): boolean {
  return anyCause(e, ({ message }) => typeof message === 'string' && /\bD1_[A-Z_]+\b|SQLITE_[A-Z]+/.test(message));
}

/** The error as the client should see it (D1's own message goes to the log only). */
export function storeUnavailableOr(e: unknown): unknown {
  if (!isD1Error(e)) return e;
  console.error('D1 failed:', (e as Error).message);
  return new ApiError('STORE_UNAVAILABLE', 'the cache database is unavailable; retry shortly').retryAfter(5);
}
