/**
 * Order ownership proofs and attempts in the region's store (OrderCheckStore, docs/orders.md) on
 * SQLite and PostgreSQL: what a row holds (ids and times), the attempt counted in the upsert
 * itself (concurrent attempts get distinct counts), the count restarting after its window, a proof
 * clearing it, pruning, bad input refused; and the policy over it (OrderProofs): proven, open and
 * locked, by the clock.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { OrderProofs } from '../regional/src/orders/session-proofs.ts';
import { openStore } from '../regional/src/store/open.ts';
import { PG_EMBEDDING_DIMENSIONS } from '../regional/src/store/schema.pg.ts';
import type { Store } from '../regional/src/store/types.ts';
import { setupOrFail } from './helpers/setup-or-fail.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';

const T0 = Date.parse('2026-12-06T10:00:00Z');
const MIN = 60_000;

describe.each(['sqlite', 'postgres'] as const)('order checks on %s', (dialect) => {
  let db: TempDatabase;
  let store: Store;
  setupOrFail(async () => {
    db = await tempDatabase(dialect, 'sy-order-checks-');
    store = await openStore(db.url, { dimensions: PG_EMBEDDING_DIMENSIONS, embeddingVersion: 'test', domain: 'test' });
  });
  afterAll(async () => {
    await store?.close();
    await db?.cleanup();
  });

  it('counts attempts in the upsert (12 at once: 1…12), restarts the count after its window, clears it with a proof', async () => {
    const c = store.orderChecks;
    expect(await c.getOrderCheck('s1', 'KB-1')).toBeNull();
    const counts = await Promise.all(Array.from({ length: 12 }, () => c.countOrderAttempt('s1', 'KB-1', new Date(T0), new Date(T0 - 30 * MIN))));
    expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // 31 minutes later the window (since = 30 minutes before) no longer holds the last attempt.
    expect(await c.countOrderAttempt('s1', 'KB-1', new Date(T0 + 31 * MIN), new Date(T0 + MIN))).toBe(1);
    await c.proveOrder('s1', 'KB-1', new Date(T0 + 32 * MIN));
    expect(await c.getOrderCheck('s1', 'KB-1')).toEqual({ sessionId: 's1', orderId: 'KB-1', provenAt: new Date(T0 + 32 * MIN), attempts: 0, attemptedAt: new Date(T0 + 31 * MIN), lastAt: new Date(T0 + 32 * MIN) });
    // One session's row is not another's, nor another order's.
    expect(await c.getOrderCheck('s2', 'KB-1')).toBeNull();
    expect(await c.getOrderCheck('s1', 'KB-2')).toBeNull();
  });

  it('prunes rows with neither proof nor attempt since the cutoff, and refuses empty or overlong ids', async () => {
    const c = store.orderChecks;
    await c.proveOrder('old', 'KB-3', new Date(T0 - 60 * MIN));
    await c.proveOrder('new', 'KB-3', new Date(T0));
    expect(await c.pruneOrderChecks(new Date(T0 - 30 * MIN))).toBeGreaterThanOrEqual(1);
    expect(await c.getOrderCheck('old', 'KB-3')).toBeNull();
    expect(await c.getOrderCheck('new', 'KB-3')).not.toBeNull();
    await expect(c.getOrderCheck('', 'KB-3')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(c.proveOrder('s', 'x'.repeat(300), new Date(T0))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('OrderProofs: open, locked after maxAttempts, proven for ttl from the proof (not extended by reading), then open again', async () => {
    let now = T0;
    const p = new OrderProofs({ store: store.orderChecks, ttlMs: 30 * MIN, maxAttempts: 3, timeoutMs: 5_000, now: () => now });
    expect(await p.standing('p1', 'KB-9')).toBe('open');
    for (let i = 0; i < 3; i++) expect(await p.attempt('p1', 'KB-9')).toBe('open');
    expect(await p.standing('p1', 'KB-9')).toBe('locked');
    expect(await p.attempt('p1', 'KB-9')).toBe('locked');
    now += 31 * MIN;
    expect(await p.standing('p1', 'KB-9')).toBe('open');
    expect(await p.attempt('p1', 'KB-9')).toBe('open');
    await p.prove('p1', 'KB-9');
    expect(await p.standing('p1', 'KB-9')).toBe('proven');
    expect(await p.standing('p2', 'KB-9')).toBe('open');
    now += 29 * MIN;
    expect(await p.standing('p1', 'KB-9')).toBe('proven');
    now += 2 * MIN;
    expect(await p.standing('p1', 'KB-9')).toBe('open');
  });
});
