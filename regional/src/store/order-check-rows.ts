/**
 * The order_checks table's statements' parts, shared by both dialects (inputs checked here): an
 * attempt counted atomically in the upsert itself (so concurrent attempts cannot all read the
 * same count), a proof that clears the count. What the rows mean: OrderCheckStore in types.ts.
 */
import { sql, type Column } from 'drizzle-orm';
import { checkBefore } from './validate-ops.ts';
import { checkId } from './validate.ts';

type CheckColumns = { sessionId: Column; orderId: Column; provenAt: Column; attempts: Column; attemptedAt: Column; lastAt: Column };

/** The row's key, checked. */
export function checkKey(sessionId: unknown, orderId: unknown): { sessionId: string; orderId: string } {
  return { sessionId: checkId(sessionId, 'sessionId'), orderId: checkId(orderId, 'orderId') };
}

/**
 * countOrderAttempt's upsert: a first attempt inserts 1; a later one adds 1, or restarts at 1 when
 * the previous attempt was before `since` (passed as the dialect's driver value of a time).
 */
export function attemptUpsert<T extends CheckColumns>(t: T, sessionId: unknown, orderId: unknown, at: Date, since: unknown) {
  const key = checkKey(sessionId, orderId);
  const when = checkBefore(at);
  return {
    row: { ...key, attempts: 1, attemptedAt: when, lastAt: when },
    target: [t.sessionId, t.orderId] as [T['sessionId'], T['orderId']],
    set: { attempts: sql`case when ${t.attemptedAt} >= ${since} then ${t.attempts} + 1 else 1 end`, attemptedAt: when, lastAt: when },
  };
}

/** proveOrder's upsert: proven at `at`, the attempts count cleared. */
export function proofUpsert<T extends CheckColumns>(t: T, sessionId: unknown, orderId: unknown, at: Date) {
  const key = checkKey(sessionId, orderId);
  const when = checkBefore(at);
  return {
    row: { ...key, provenAt: when, attempts: 0, lastAt: when },
    target: [t.sessionId, t.orderId] as [T['sessionId'], T['orderId']],
    set: { provenAt: when, attempts: 0, lastAt: when },
  };
}
