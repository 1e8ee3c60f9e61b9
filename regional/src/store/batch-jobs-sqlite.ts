/** Batch inference jobs on SQLite (see BatchJobStore in types.ts); used by SqliteStore. */
import { desc, eq } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { cancelSet, checkpointSet, claimUpdate, finishSet, heldBy, newBatchJobRow, notEnded, statusFilter } from './batch-job-rows.ts';
import { mapConstraintErrors } from './constraint-errors.ts';
import { StorePart } from './store-part.ts';
import { checkId, checkLimit } from './validate.ts';
import * as schema from './schema.sqlite.ts';
import type { BatchCheckpoint, BatchJobRecord, BatchJobStore, BatchStatus, NewBatchJob } from './types.ts';

const { batchJobs } = schema;
type Db = BetterSQLite3Database<typeof schema>;

export class SqliteBatchJobs extends StorePart<Db> implements BatchJobStore {
  async createBatchJob(input: NewBatchJob): Promise<BatchJobRecord> {
    this.live();
    const row = newBatchJobRow(input, new Date());
    return mapConstraintErrors('sqlite', { conflict: `batch job ${row.id} already exists` }, () => this.db.insert(batchJobs).values(row).returning().get());
  }

  async getBatchJob(id: string): Promise<BatchJobRecord | null> {
    this.live();
    return this.db.select().from(batchJobs).where(eq(batchJobs.id, checkId(id, 'id'))).get() ?? null;
  }

  async listBatchJobs(opts: { statuses?: BatchStatus[]; limit?: number } = {}): Promise<BatchJobRecord[]> {
    this.live();
    const where = statusFilter(batchJobs, opts.statuses);
    return this.db.select().from(batchJobs).where(where).orderBy(desc(batchJobs.createdAt), desc(batchJobs.id)).limit(checkLimit(opts.limit, 100)).all();
  }

  async claimBatchJob(id: string, owner: string, leaseMs: number, expectedOwner: string | null = null): Promise<BatchJobRecord | null> {
    this.live();
    const { set, where } = claimUpdate(batchJobs, id, owner, leaseMs, expectedOwner, new Date());
    return this.db.update(batchJobs).set(set).where(where).returning().get() ?? null;
  }

  async checkpointBatchJob(id: string, owner: string, checkpoint: BatchCheckpoint, leaseMs: number): Promise<boolean> {
    this.live();
    const set = checkpointSet(checkpoint, leaseMs, new Date());
    return this.db.update(batchJobs).set(set).where(heldBy(batchJobs, id, owner)).run().changes > 0;
  }

  async finishBatchJob(id: string, owner: string, end: { status: 'succeeded' | 'failed' | 'canceled'; errorCode?: string | null; error?: string | null }): Promise<boolean> {
    this.live();
    const set = finishSet(end, new Date());
    return this.db.update(batchJobs).set(set).where(heldBy(batchJobs, id, owner)).run().changes > 0;
  }

  async cancelBatchJob(id: string): Promise<boolean> {
    this.live();
    return this.db.update(batchJobs).set(cancelSet(new Date())).where(notEnded(batchJobs, id)).run().changes > 0;
  }
}
