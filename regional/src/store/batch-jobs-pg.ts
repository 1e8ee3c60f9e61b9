/** Batch inference jobs on PostgreSQL (see BatchJobStore in types.ts); used by SqliteStore. */
import { and, desc, eq, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { checkId, checkLimit, driverCode } from './validate.ts';
import * as schema from './schema.pg.ts';
import { StoreError, type BatchCheckpoint, type BatchJobRecord, type BatchJobStore, type BatchStatus, type NewBatchJob } from './types.ts';
import { checkCheckpoint, checkEnd, checkLeaseMs, checkNewBatchJob, checkStatuses } from './validate-ops.ts';

const { batchJobs } = schema;
type Db = NodePgDatabase<typeof schema>;

export class PgBatchJobs implements BatchJobStore {
  constructor(
    private readonly db: Db,
    private readonly live: () => void,
  ) {}

  async createBatchJob(input: NewBatchJob): Promise<BatchJobRecord> {
    this.live();
    const j = checkNewBatchJob(input);
    const now = new Date();
    try {
      const [row] = await this.db
        .insert(batchJobs)
        .values({ ...j, createdBy: j.createdBy ?? null, status: 'queued', createdAt: now, updatedAt: now })
        .returning();
      return row;
    } catch (e) {
      if (driverCode(e) === '23505') throw new StoreError('CONFLICT', `batch job ${j.id} already exists`);
      throw e;
    }
  }

  async getBatchJob(id: string): Promise<BatchJobRecord | null> {
    this.live();
    const [row] = await this.db.select().from(batchJobs).where(eq(batchJobs.id, checkId(id, 'id')));
    return row ?? null;
  }

  async listBatchJobs(opts: { statuses?: BatchStatus[]; limit?: number } = {}): Promise<BatchJobRecord[]> {
    this.live();
    const q = this.db.select().from(batchJobs);
    const statuses = opts.statuses === undefined ? undefined : checkStatuses(opts.statuses);
    return (statuses ? q.where(inArray(batchJobs.status, statuses)) : q).orderBy(desc(batchJobs.createdAt), desc(batchJobs.id)).limit(checkLimit(opts.limit, 100));
  }

  async claimBatchJob(id: string, owner: string, leaseMs: number, expectedOwner: string | null = null): Promise<BatchJobRecord | null> {
    this.live();
    const now = new Date();
    const free: SQL[] = [isNull(batchJobs.leaseOwner), lt(batchJobs.leaseUntil, now), eq(batchJobs.leaseOwner, checkId(owner, 'owner'))];
    if (expectedOwner) free.push(eq(batchJobs.leaseOwner, expectedOwner));
    const [row] = await this.db
      .update(batchJobs)
      .set({ status: 'running', leaseOwner: owner, leaseUntil: new Date(now.getTime() + checkLeaseMs(leaseMs)), runStartedAt: now, rowsAtRunStart: sql`${batchJobs.rowsDone}`, updatedAt: now })
      .where(and(eq(batchJobs.id, checkId(id, 'id')), inArray(batchJobs.status, ['queued', 'running']), or(...free)))
      .returning();
    return row ?? null;
  }

  async checkpointBatchJob(id: string, owner: string, checkpoint: BatchCheckpoint, leaseMs: number): Promise<boolean> {
    this.live();
    const c = checkCheckpoint(checkpoint);
    const now = new Date();
    const r = await this.db
      .update(batchJobs)
      .set({ ...c, leaseUntil: new Date(now.getTime() + checkLeaseMs(leaseMs)), updatedAt: now })
      .where(and(eq(batchJobs.id, checkId(id, 'id')), eq(batchJobs.leaseOwner, checkId(owner, 'owner')), eq(batchJobs.status, 'running')));
    return (r.rowCount ?? 0) > 0;
  }

  async finishBatchJob(id: string, owner: string, end: { status: 'succeeded' | 'failed' | 'canceled'; errorCode?: string | null; error?: string | null }): Promise<boolean> {
    this.live();
    const e = checkEnd(end);
    const now = new Date();
    const r = await this.db
      .update(batchJobs)
      .set({ status: e.status, errorCode: e.errorCode ?? null, error: e.error ?? null, leaseOwner: null, leaseUntil: null, finishedAt: now, updatedAt: now })
      .where(and(eq(batchJobs.id, checkId(id, 'id')), eq(batchJobs.leaseOwner, checkId(owner, 'owner')), eq(batchJobs.status, 'running')));
    return (r.rowCount ?? 0) > 0;
  }

  async cancelBatchJob(id: string): Promise<boolean> {
    this.live();
    const now = new Date();
    const r = await this.db
      .update(batchJobs)
      .set({ status: 'canceled', leaseOwner: null, leaseUntil: null, finishedAt: now, updatedAt: now })
      .where(and(eq(batchJobs.id, checkId(id, 'id')), inArray(batchJobs.status, ['queued', 'running'])));
    return (r.rowCount ?? 0) > 0;
  }
}
