/**
 * Which errors mean "the database cannot be reached" (503 STORE_UNAVAILABLE) on each tier: the
 * region's PostgreSQL under drizzle's wrapping, the edge's D1; and which do not (a bad query, a
 * remote backend that is down, a refused input).
 */
import { describe, expect, it } from 'vitest';
import { isD1Error } from '../edge/src/cache/d1-errors.ts';
import { isStoreUnreachable, storeUnavailableOr } from '../regional/src/store/unreachable.ts';
import { ApiError } from '../shared/api/errors.ts';

const coded = (message: string, code: string) => Object.assign(new Error(message), { code });
const query = (cause: unknown) => new Error('Failed query: select 1\nparams: ', { cause });

describe('the database unreachable, told apart', () => {
  it('the region: a lost or refused PostgreSQL connection, not a bad query or a remote backend', () => {
    expect(isStoreUnreachable(query(coded('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')))).toBe(true);
    expect(isStoreUnreachable(query(new Error('Connection terminated unexpectedly')))).toBe(true);
    expect(isStoreUnreachable(query(coded('terminating connection due to administrator command', '57P01')))).toBe(true);
    expect(isStoreUnreachable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isStoreUnreachable(query(coded('duplicate key value violates unique constraint', '23505')))).toBe(false);
    expect(isStoreUnreachable(new TypeError('fetch failed', { cause: coded('connect ECONNREFUSED 10.0.0.9:8000', 'ECONNREFUSED') }))).toBe(false);
    expect(isStoreUnreachable(new Error('boom'))).toBe(false);
    const mapped = storeUnavailableOr(query(new Error('Connection terminated unexpectedly')));
    expect(mapped).toBeInstanceOf(ApiError);
    expect((mapped as ApiError).status).toBe(503);
    expect((mapped as ApiError).headers()).toEqual({ 'retry-after': '5' });
  });

  it('the edge: D1 errors, also under drizzle, and nothing else', () => {
    expect(isD1Error(new Error('D1_ERROR: no such table: cache_meta: SQLITE_ERROR'))).toBe(true);
    expect(isD1Error(query(new Error('D1_ERROR: no such table: cache_entries')))).toBe(true);
    expect(isD1Error(new Error('the classifier is not loaded'))).toBe(false);
  });
});
