/**
 * A suite's beforeAll whose failure fails every test of the suite with its reason. Vitest reports
 * the tests behind a failed beforeAll as skipped; a test that needs PostgreSQL, pgvector or Redis
 * and cannot have it must fail, never skip.
 */
import { beforeAll, beforeEach } from 'vitest';

export function setupOrFail(fn: () => Promise<void>, timeoutMs?: number): void {
  let failure: unknown = null;
  beforeAll(async () => {
    try {
      await fn();
    } catch (e) {
      failure = e;
    }
  }, timeoutMs);
  beforeEach(() => {
    if (failure) throw failure;
  });
}
