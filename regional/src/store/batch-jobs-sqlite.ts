/** Batch inference jobs on SQLite (see BatchJobStore in types.ts); used by SqliteStore. */
import { and, desc, eq, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { checkId, checkLimit, driverCode } from './validate.ts';
import * as schema from './schema.sqlite.ts';
import { StoreError, type BatchCheckpoint, type BatchJobRecord, type BatchJobStore, type BatchStatus, type NewBatchJob } from './types.ts';
import { checkCheckpoint, checkEnd, checkLeaseMs, checkNewBatchJob, checkStatuses } from './validate-ops.ts';

const { batchJobs } = schema;
type Db = BetterSQLite3Database<typeof schema>;

export class SqliteBatchJobs implements BatchJobStore {
  constructor(
    private readonly db: Db,
    private readonly live: () => void,
  ) {}

  async createBatchJob(input: NewBatchJob): Promise<BatchJobRecord> {
    this.live();
    const j = checkNewBatchJob(input);
    const now = new Date();
    try {
      return this.db
        .insert(batchJobs)
        .values({ ...j, createdBy: j.createdBy ?? null, status: 'queued', createdAt: now, updatedAt: now })
        .returning()
        .get();
    } catch (e) {
      if (driverCode(e)?.startsWith('SQLITE_CONSTRAINT_')) throw new StoreError('CONFLICT', `batch job ${j.id} already exists`);
      throw e;
    }
  }

  async getBatchJob(id: string): Promise<BatchJobRecord | null> {
    this.live();
    return this.db.select().from(batchJobs).where(eq(batchJobs.id, checkId(id, 'id'))).get() ?? null;
  }

  async listBatchJobs(opts: { statuses?: BatchStatus[]; limit?: number } = {}): Promise<BatchJobRecord[]> {
    this.live();
    const q = this.db.select().from(batchJobs);
    const statuses = opts.statuses === undefined ? undefined : checkStatuses(opts.statuses);
    return (statuses ? q.where(inArray(batchJobs.status, statuses)) : q).orderBy(desc(batchJobs.createdAt), desc(batchJobs.id)).limit(checkLimit(opts.limit, 100)).all();
  }

  async claimBatchJob(id: string, owner: string, leaseMs: number, expectedOwner: string | null = null): Promise<BatchJobRecord | null> {
    this.live();
    const now = new Date();
    const free: SQL[] = [isNull(batchJobs.leaseOwner), lt(batchJobs.leaseUntil, now), eq(batchJobs.leaseOwner, checkId(owner, 'owner'))];
    if (expectedOwner) free.push(eq(batchJobs.leaseOwner, expectedOwner));
    return (
      this.db
        .update(batchJobs)
        .set({ status: 'running', leaseOwner: owner, leaseUntil: new Date(now.getTime() + checkLeaseMs(leaseMs)), runStartedAt: now, rowsAtRunStart: sql`${batchJobs.rowsDone}`, updatedAt: now })
        .where(and(eq(batchJobs.id, checkId(id, 'id')), inArray(batchJobs.status, ['queued', 'running']), or(...free)))
        .returning()
        .get() ?? null
    );
  }

  async checkpointBatchJob(id: string, owner: string, checkpoint: BatchCheckpoint, leaseMs: number): Promise<boolean> {
    this.live();
    const c = checkCheckpoint(checkpoint);
    const now = new Date();
    const r = this.db
      .update(batchJobs)
      .set({ ...c, leaseUntil: new Date(now.getTime() + checkLeaseMs(leaseMs)), updatedAt: now })
      .where(and(eq(batchJobs.id, checkId(id, 'id')), eq(batchJobs.leaseOwner, checkId(owner, 'owner')), eq(batchJobs.status, 'running')))
      .run();
    return r.changes > 0;
  }

  async finishBatchJob(id: string, owner: string, end: { status: 'succeeded' | 'failed' | 'canceled'; errorCode?: string | null; error?: string | null }): Promise<boolean> {
    this.live();
    const e = checkEnd(end);
    const now = new Date();
    const r = this.db
      .update(batchJobs)
      .set({ status: e.status, errorCode: e.errorCode ?? null, error: e.error ?? null, leaseOwner: null, leaseUntil: null, finishedAt: now, updatedAt: now })
      .where(and(eq(batchJobs.id, checkId(id, 'id')), eq(batchJobs.leaseOwner, checkId(owner, 'owner')), eq(batchJobs.status, 'running')))
      .run();
    return r.changes > 0;
  }

  async cancelBatchJob(id: string): Promise<boolean> {
    this.live();
    const now = new Date();
    const r = this.db
      .update(batchJobs)
      .set({ status: 'canceled', leaseOwner: null, leaseUntil: null, finishedAt: now, updatedAt: now })
      .where(and(eq(batchJobs.id, checkId(id, 'id')), inArray(batchJobs.status, ['queued', 'running'])))
      .run();
    return r.changes > 0;
  }
}
