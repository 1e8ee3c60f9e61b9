/**
 * Batch jobs' rows and lease conditions, shared by both dialects: what each step of a job's life
 * writes and which rows it may touch (a free or expired lease to claim, our own lease to
 * checkpoint or finish). Inputs are checked here, before any SQL runs.
 */
import { and, eq, inArray, isNull, lt, or, sql, type Column, type SQL } from 'drizzle-orm';
import { checkId } from './validate.ts';
import { checkCheckpoint, checkEnd, checkLeaseMs, checkNewBatchJob, checkStatuses } from './validate-ops.ts';
import type { BatchStatus } from './types.ts';

type JobColumns = { id: Column; status: Column; leaseOwner: Column; leaseUntil: Column };

const leaseEnd = (now: Date, leaseMs: unknown) => new Date(now.getTime() + checkLeaseMs(leaseMs));

export function newBatchJobRow(input: unknown, now: Date) {
  const j = checkNewBatchJob(input);
  return { ...j, createdBy: j.createdBy ?? null, status: 'queued' as const, createdAt: now, updatedAt: now };
}

/** listBatchJobs: of the given statuses, when given. */
export function statusFilter(t: { status: Column }, statuses: BatchStatus[] | undefined): SQL | undefined {
  return statuses === undefined ? undefined : inArray(t.status, checkStatuses(statuses));
}

/**
 * A claim starts a run: `owner` takes the lease of the job, if it has not ended and its lease is
 * free, expired, already `owner`'s, or `expectedOwner`'s; the run's progress counts from rowsDone.
 */
export function claimUpdate(t: JobColumns & { rowsDone: Column }, id: unknown, owner: unknown, leaseMs: unknown, expectedOwner: string | null, now: Date) {
  const free: SQL[] = [isNull(t.leaseOwner), lt(t.leaseUntil, now), eq(t.leaseOwner, checkId(owner, 'owner'))];
  if (expectedOwner) free.push(eq(t.leaseOwner, expectedOwner));
  const set = { status: 'running' as const, leaseOwner: owner as string, leaseUntil: leaseEnd(now, leaseMs), runStartedAt: now, rowsAtRunStart: sql`${t.rowsDone}`, updatedAt: now };
  return { set, where: and(notEnded(t, id), or(...free)) };
}

export function checkpointSet(checkpoint: unknown, leaseMs: unknown, now: Date) {
  return { ...checkCheckpoint(checkpoint), leaseUntil: leaseEnd(now, leaseMs), updatedAt: now };
}

export function finishSet(end: unknown, now: Date) {
  const e = checkEnd(end);
  return { status: e.status, errorCode: e.errorCode ?? null, error: e.error ?? null, leaseOwner: null, leaseUntil: null, finishedAt: now, updatedAt: now };
}

export function cancelSet(now: Date) {
  return { status: 'canceled' as const, leaseOwner: null, leaseUntil: null, finishedAt: now, updatedAt: now };
}

/** The running job whose lease `owner` holds. */
export function heldBy(t: JobColumns, id: unknown, owner: unknown) {
  return and(eq(t.id, checkId(id, 'id')), eq(t.leaseOwner, checkId(owner, 'owner')), eq(t.status, 'running'));
}

/** The job while it is queued or running. */
export function notEnded(t: JobColumns, id: unknown) {
  return and(eq(t.id, checkId(id, 'id')), inArray(t.status, ['queued', 'running']));
}
