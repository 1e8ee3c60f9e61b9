/** The ops-sample table's statements' parts, shared by both dialects (inputs checked here). */
import { and, asc, desc, eq, gte, lt, type Column } from 'drizzle-orm';
import type { OpsSampleRecord } from './types.ts';
import { checkBefore, checkOpsSample, checkOpsSampleQuery } from './validate-ops.ts';

type SampleColumns = { instance: Column; at: Column; data: Column };

/** The row to insert and what replaces an existing row of the same instance and time. */
export function sampleUpsert<T extends SampleColumns>(t: T, sample: OpsSampleRecord) {
  const row = checkOpsSample(sample);
  return { row, target: [t.instance, t.at] as [T['instance'], T['at']], set: { data: row.data } };
}

/** listOpsSamples: which rows, in which order, how many, and whether the result needs reversing to be oldest first. */
export function sampleRange(t: SampleColumns, instance: string, opts: { since?: Date; limit?: number; take?: 'oldest' | 'newest' }) {
  const q = checkOpsSampleQuery(instance, opts);
  return { where: and(eq(t.instance, q.instance), gte(t.at, q.since)), order: q.oldest ? asc(t.at) : desc(t.at), limit: q.limit, reverse: !q.oldest };
}

/** listOpsInstances: the rows taken at or after `since`. */
export function takenSince(t: SampleColumns, since: Date) {
  return gte(t.at, checkBefore(since));
}

/** pruneOpsSamples: the rows taken before `before`. */
export function takenBefore(t: SampleColumns, before: Date) {
  return lt(t.at, checkBefore(before));
}
