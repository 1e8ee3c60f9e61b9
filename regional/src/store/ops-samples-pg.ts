/** The ops dashboard's metric samples on PostgreSQL (see OpsSampleStore in types.ts); used by PgStore. */
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { sampleRange, sampleUpsert, takenBefore, takenSince } from './ops-sample-rows.ts';
import { StorePart } from './store-part.ts';
import * as schema from './schema.pg.ts';
import type { OpsSampleRecord, OpsSampleStore } from './types.ts';

const { opsSamples } = schema;

export class PgOpsSamples extends StorePart<NodePgDatabase<typeof schema>> implements OpsSampleStore {
  async appendOpsSample(sample: OpsSampleRecord): Promise<void> {
    this.live();
    const u = sampleUpsert(opsSamples, sample);
    await this.db.insert(opsSamples).values(u.row).onConflictDoUpdate({ target: u.target, set: u.set });
  }

  async listOpsSamples(instance: string, opts: { since?: Date; limit?: number; take?: 'oldest' | 'newest' } = {}): Promise<OpsSampleRecord[]> {
    this.live();
    const q = sampleRange(opsSamples, instance, opts);
    const rows = await this.db.select().from(opsSamples).where(q.where).orderBy(q.order).limit(q.limit);
    return q.reverse ? rows.reverse() : rows;
  }

  async listOpsInstances(since: Date): Promise<string[]> {
    this.live();
    const rows = await this.db.selectDistinct({ instance: opsSamples.instance }).from(opsSamples).where(takenSince(opsSamples, since)).orderBy(opsSamples.instance).limit(1000);
    return rows.map((r) => r.instance);
  }

  async pruneOpsSamples(before: Date): Promise<number> {
    this.live();
    const r = await this.db.delete(opsSamples).where(takenBefore(opsSamples, before));
    return r.rowCount ?? 0;
  }
}
