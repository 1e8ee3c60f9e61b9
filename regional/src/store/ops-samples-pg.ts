/** The ops dashboard's metric samples on PostgreSQL (see OpsSampleStore in types.ts); used by PgStore. */
import { and, asc, desc, eq, gte, lt } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { StorePart } from './store-part.ts';
import * as schema from './schema.pg.ts';
import type { OpsSampleRecord, OpsSampleStore } from './types.ts';
import { checkBefore, checkOpsSample, checkOpsSampleQuery } from './validate-ops.ts';

const { opsSamples } = schema;
type Db = NodePgDatabase<typeof schema>;

export class PgOpsSamples extends StorePart<Db> implements OpsSampleStore {
  async appendOpsSample(sample: OpsSampleRecord): Promise<void> {
    this.live();
    const row = checkOpsSample(sample);
    await this.db.insert(opsSamples).values(row).onConflictDoUpdate({ target: [opsSamples.instance, opsSamples.at], set: { data: row.data } });
  }

  async listOpsSamples(instance: string, opts: { since?: Date; limit?: number; take?: 'oldest' | 'newest' } = {}): Promise<OpsSampleRecord[]> {
    this.live();
    const q = checkOpsSampleQuery(instance, opts);
    const rows = await this.db
      .select()
      .from(opsSamples)
      .where(and(eq(opsSamples.instance, q.instance), gte(opsSamples.at, q.since)))
      .orderBy(q.oldest ? asc(opsSamples.at) : desc(opsSamples.at))
      .limit(q.limit);
    return q.oldest ? rows : rows.reverse();
  }

  async pruneOpsSamples(before: Date): Promise<number> {
    this.live();
    const r = await this.db.delete(opsSamples).where(lt(opsSamples.at, checkBefore(before)));
    return r.rowCount ?? 0;
  }
}
