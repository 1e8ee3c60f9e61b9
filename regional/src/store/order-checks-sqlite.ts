/** Order ownership proofs and attempts on SQLite (see OrderCheckStore in types.ts); used by SqliteStore. */
import { and, eq, lt } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { attemptUpsert, checkKey, proofUpsert } from './order-check-rows.ts';
import { StorePart } from './store-part.ts';
import * as schema from './schema.sqlite.ts';
import type { OrderCheckRecord, OrderCheckStore } from './types.ts';
import { checkBefore } from './validate-ops.ts';

const { orderChecks } = schema;

export class SqliteOrderChecks extends StorePart<BetterSQLite3Database<typeof schema>> implements OrderCheckStore {
  async getOrderCheck(sessionId: string, orderId: string): Promise<OrderCheckRecord | null> {
    this.live();
    const k = checkKey(sessionId, orderId);
    return this.db.select().from(orderChecks).where(and(eq(orderChecks.sessionId, k.sessionId), eq(orderChecks.orderId, k.orderId))).get() ?? null;
  }

  async countOrderAttempt(sessionId: string, orderId: string, at: Date, since: Date): Promise<number> {
    this.live();
    const u = attemptUpsert(orderChecks, sessionId, orderId, at, checkBefore(since).getTime());
    return this.db.insert(orderChecks).values(u.row).onConflictDoUpdate({ target: u.target, set: u.set }).returning({ attempts: orderChecks.attempts }).get().attempts;
  }

  async proveOrder(sessionId: string, orderId: string, at: Date): Promise<void> {
    this.live();
    const u = proofUpsert(orderChecks, sessionId, orderId, at);
    this.db.insert(orderChecks).values(u.row).onConflictDoUpdate({ target: u.target, set: u.set }).run();
  }

  async pruneOrderChecks(before: Date): Promise<number> {
    this.live();
    return this.db.delete(orderChecks).where(lt(orderChecks.lastAt, checkBefore(before))).run().changes;
  }
}
