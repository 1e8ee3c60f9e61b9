/** The ops dashboard's metric samples on SQLite (see OpsSampleStore in types.ts); used by SqliteStore. */
import { and, asc, desc, eq, gte, lt } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { StorePart } from './store-part.ts';
import * as schema from './schema.sqlite.ts';
import type { OpsSampleRecord, OpsSampleStore } from './types.ts';
import { checkBefore, checkOpsSample, checkOpsSampleQuery } from './validate-ops.ts';

const { opsSamples } = schema;
type Db = BetterSQLite3Database<typeof schema>;

export class SqliteOpsSamples extends StorePart<Db> implements OpsSampleStore {
  async appendOpsSample(sample: OpsSampleRecord): Promise<void> {
    this.live();
    const row = checkOpsSample(sample);
    this.db.insert(opsSamples).values(row).onConflictDoUpdate({ target: [opsSamples.instance, opsSamples.at], set: { data: row.data } }).run();
  }

  async listOpsSamples(instance: string, opts: { since?: Date; limit?: number; take?: 'oldest' | 'newest' } = {}): Promise<OpsSampleRecord[]> {
    this.live();
    const q = checkOpsSampleQuery(instance, opts);
    const rows = this.db
      .select()
      .from(opsSamples)
      .where(and(eq(opsSamples.instance, q.instance), gte(opsSamples.at, q.since)))
      .orderBy(q.oldest ? asc(opsSamples.at) : desc(opsSamples.at))
      .limit(q.limit)
      .all();
    return q.oldest ? rows : rows.reverse();
  }

  async pruneOpsSamples(before: Date): Promise<number> {
    this.live();
    return this.db.delete(opsSamples).where(lt(opsSamples.at, checkBefore(before))).run().changes;
  }
}
