/** Order ownership proofs and attempts on PostgreSQL (see OrderCheckStore in types.ts); used by PgStore. */
import { and, eq, lt } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { attemptUpsert, checkKey, proofUpsert } from './order-check-rows.ts';
import { StorePart } from './store-part.ts';
import * as schema from './schema.pg.ts';
import type { OrderCheckRecord, OrderCheckStore } from './types.ts';
import { checkBefore } from './validate-ops.ts';

const { orderChecks } = schema;

export class PgOrderChecks extends StorePart<NodePgDatabase<typeof schema>> implements OrderCheckStore {
  async getOrderCheck(sessionId: string, orderId: string): Promise<OrderCheckRecord | null> {
    this.live();
    const k = checkKey(sessionId, orderId);
    const [row] = await this.db.select().from(orderChecks).where(and(eq(orderChecks.sessionId, k.sessionId), eq(orderChecks.orderId, k.orderId)));
    return row ?? null;
  }

  async countOrderAttempt(sessionId: string, orderId: string, at: Date, since: Date): Promise<number> {
    this.live();
    const u = attemptUpsert(orderChecks, sessionId, orderId, at, checkBefore(since).toISOString());
    const [row] = await this.db.insert(orderChecks).values(u.row).onConflictDoUpdate({ target: u.target, set: u.set }).returning({ attempts: orderChecks.attempts });
    return row.attempts;
  }

  async proveOrder(sessionId: string, orderId: string, at: Date): Promise<void> {
    this.live();
    const u = proofUpsert(orderChecks, sessionId, orderId, at);
    await this.db.insert(orderChecks).values(u.row).onConflictDoUpdate({ target: u.target, set: u.set });
  }

  async pruneOrderChecks(before: Date): Promise<number> {
    this.live();
    const r = await this.db.delete(orderChecks).where(lt(orderChecks.lastAt, checkBefore(before)));
    return r.rowCount ?? 0;
  }
}
