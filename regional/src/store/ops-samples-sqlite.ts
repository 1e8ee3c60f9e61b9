/** The ops dashboard's metric samples on SQLite (see OpsSampleStore in types.ts); used by SqliteStore. */
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { sampleRange, sampleUpsert, takenBefore, takenSince } from './ops-sample-rows.ts';
import { StorePart } from './store-part.ts';
import * as schema from './schema.sqlite.ts';
import type { OpsSampleRecord, OpsSampleStore } from './types.ts';

const { opsSamples } = schema;

export class SqliteOpsSamples extends StorePart<BetterSQLite3Database<typeof schema>> implements OpsSampleStore {
  async appendOpsSample(sample: OpsSampleRecord): Promise<void> {
    this.live();
    const u = sampleUpsert(opsSamples, sample);
    this.db.insert(opsSamples).values(u.row).onConflictDoUpdate({ target: u.target, set: u.set }).run();
  }

  async listOpsSamples(instance: string, opts: { since?: Date; limit?: number; take?: 'oldest' | 'newest' } = {}): Promise<OpsSampleRecord[]> {
    this.live();
    const q = sampleRange(opsSamples, instance, opts);
    const rows = this.db.select().from(opsSamples).where(q.where).orderBy(q.order).limit(q.limit).all();
    return q.reverse ? rows.reverse() : rows;
  }

  async listOpsInstances(since: Date): Promise<string[]> {
    this.live();
    const rows = this.db.selectDistinct({ instance: opsSamples.instance }).from(opsSamples).where(takenSince(opsSamples, since)).orderBy(opsSamples.instance).limit(1000).all();
    return rows.map((r) => r.instance);
  }

  async pruneOpsSamples(before: Date): Promise<number> {
    this.live();
    return this.db.delete(opsSamples).where(takenBefore(opsSamples, before)).run().changes;
  }
}
