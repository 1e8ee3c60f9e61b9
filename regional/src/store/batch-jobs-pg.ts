/** Batch inference jobs on PostgreSQL (see BatchJobStore in types.ts); used by PgStore. */
import { desc, eq } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { cancelSet, checkpointSet, claimUpdate, finishSet, heldBy, newBatchJobRow, notEnded, statusFilter } from './batch-job-rows.ts';
import { mapConstraintErrors } from './constraint-errors.ts';
import { StorePart } from './store-part.ts';
import { checkId, checkLimit } from './validate.ts';
import * as schema from './schema.pg.ts';
import type { BatchCheckpoint, BatchJobRecord, BatchJobStore, BatchStatus, NewBatchJob } from './types.ts';

const { batchJobs } = schema;
type Db = NodePgDatabase<typeof schema>;

export class PgBatchJobs extends StorePart<Db> implements BatchJobStore {
  async createBatchJob(input: NewBatchJob): Promise<BatchJobRecord> {
    this.live();
    const row = newBatchJobRow(input, new Date());
    const [created] = await mapConstraintErrors('postgres', { conflict: `batch job ${row.id} already exists` }, () => this.db.insert(batchJobs).values(row).returning());
    return created;
  }

  async getBatchJob(id: string): Promise<BatchJobRecord | null> {
    this.live();
    const [row] = await this.db.select().from(batchJobs).where(eq(batchJobs.id, checkId(id, 'id')));
    return row ?? null;
  }

  async listBatchJobs(opts: { statuses?: BatchStatus[]; limit?: number } = {}): Promise<BatchJobRecord[]> {
    this.live();
    const where = statusFilter(batchJobs, opts.statuses);
    return this.db.select().from(batchJobs).where(where).orderBy(desc(batchJobs.createdAt), desc(batchJobs.id)).limit(checkLimit(opts.limit, 100));
  }

  async claimBatchJob(id: string, owner: string, leaseMs: number, expectedOwner: string | null = null): Promise<BatchJobRecord | null> {
    this.live();
    const { set, where } = claimUpdate(batchJobs, id, owner, leaseMs, expectedOwner, new Date());
    const [row] = await this.db.update(batchJobs).set(set).where(where).returning();
    return row ?? null;
  }

  async checkpointBatchJob(id: string, owner: string, checkpoint: BatchCheckpoint, leaseMs: number): Promise<boolean> {
    this.live();
    const set = checkpointSet(checkpoint, leaseMs, new Date());
    const r = await this.db.update(batchJobs).set(set).where(heldBy(batchJobs, id, owner));
    return (r.rowCount ?? 0) > 0;
  }

  async finishBatchJob(id: string, owner: string, end: { status: 'succeeded' | 'failed' | 'canceled'; errorCode?: string | null; error?: string | null }): Promise<boolean> {
    this.live();
    const set = finishSet(end, new Date());
    const r = await this.db.update(batchJobs).set(set).where(heldBy(batchJobs, id, owner));
    return (r.rowCount ?? 0) > 0;
  }

  async cancelBatchJob(id: string): Promise<boolean> {
    this.live();
    const r = await this.db.update(batchJobs).set(cancelSet(new Date())).where(notEnded(batchJobs, id));
    return (r.rowCount ?? 0) > 0;
  }
}
