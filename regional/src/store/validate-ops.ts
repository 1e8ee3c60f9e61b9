/** Input checks for the registry, batch-job and ops-sample tables: INVALID_INPUT before any SQL runs. */
import { z } from 'zod';
import { checkLimit, count, parse } from './validate.ts';
import { BATCH_STATUSES, BATCH_TASKS, MODEL_KINDS, MODEL_STAGES, StoreError, type BatchCheckpoint, type BatchStatus, type ModelStage, type NewBatchJob, type NewModelVersion, type OpsSampleRecord, type StageChangeInput } from './types.ts';

const modelName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._\/-]{0,127}$/, 'must be 1-128 letters, digits or . _ / - (starting with a letter or digit)');
const modelVersion = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, 'must be 1-64 letters, digits or . _ + - (starting with a letter or digit)');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase sha256 hex digest');
const json = z.record(z.string(), z.unknown());

export const checkModelName = (v: unknown) => parse(modelName, v, 'name');
export const checkModelVersion = (v: unknown) => parse(modelVersion, v, 'version');
export const checkStage = (v: unknown): ModelStage => parse(z.enum(MODEL_STAGES), v, 'stage');

/** The checked version with every optional field as null (the row's columns). */
export function checkNewModelVersion(input: unknown): Required<{ [K in keyof NewModelVersion]: Exclude<NewModelVersion[K], undefined> }> {
  const v = parse(
    z.object({
      name: modelName,
      version: modelVersion,
      kind: z.enum(MODEL_KINDS),
      artifactUri: z.string().min(1).max(2000),
      files: z.record(z.string().min(1).max(500), sha256).refine((f) => Object.keys(f).length > 0, 'must list at least one file'),
      trainingDataSha256: sha256.nullish(),
      metrics: json.nullish(),
      settings: json.nullish(),
      sizeBytes: count,
      gitCommit: z.string().regex(/^[0-9a-f]{7,64}$/, 'must be a git commit hash').nullish(),
      parentVersion: modelVersion.nullish(),
      baseline: json.nullish(),
      registeredBy: z.string().min(1).max(200),
    }),
    input,
    'model version',
  );
  return {
    ...v,
    trainingDataSha256: v.trainingDataSha256 ?? null,
    metrics: v.metrics ?? null,
    settings: v.settings ?? null,
    gitCommit: v.gitCommit ?? null,
    parentVersion: v.parentVersion ?? null,
    baseline: v.baseline ?? null,
  };
}

const stageChange = z.object({
  actor: z.string().min(1).max(200),
  reason: z.string().max(2000).nullish(),
  details: json.nullish(),
  action: z.literal('rollback').optional(),
});

export function checkStageChange(c: unknown): StageChangeInput {
  return parse(stageChange, c, 'stage change');
}

/** putRollout's arguments: the rule is any JSON object (its shape is the ops layer's: ops/rollout-rules.ts). */
export function checkPutRollout(name: unknown, rule: unknown, change: unknown) {
  const c = parse(
    z.object({
      actor: z.string().min(1).max(200),
      reason: z.string().max(2000).nullish(),
      details: json.nullish(),
      expectedRevision: count.optional(),
      stage: z.object({ version: modelVersion, to: z.enum(MODEL_STAGES), change: stageChange }).optional(),
    }),
    change,
    'rollout change',
  );
  return { name: checkModelName(name), rule: parse(json.nullable(), rule, 'rule'), change: c };
}

/** setStage's arguments, checked in order. */
export function checkSetStage(name: unknown, version: unknown, to: unknown, change: unknown) {
  return { name: checkModelName(name), version: checkModelVersion(version), stage: checkStage(to), change: checkStageChange(change) };
}

export function checkNewBatchJob(j: unknown): NewBatchJob {
  return parse(
    z.object({
      id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
      task: z.enum(BATCH_TASKS),
      modelVersion: z.string().min(1).max(300),
      inputPath: z.string().min(1).max(4000),
      inputSha256: sha256,
      inputBytes: count,
      outputPath: z.string().min(1).max(4000),
      totalRows: count,
      createdBy: z.string().max(256).nullish(),
    }),
    j,
    'batch job',
  );
}

export function checkCheckpoint(c: unknown): BatchCheckpoint {
  return parse(z.object({ rowsDone: count, inputOffset: count, outputBytes: count, rowErrors: count }), c, 'checkpoint');
}

export function checkLeaseMs(ms: unknown): number {
  return parse(z.number().int().min(1).max(24 * 3600_000), ms, 'leaseMs');
}

export function checkStatuses(s: unknown): BatchStatus[] {
  const r = z.array(z.enum(BATCH_STATUSES)).min(1).safeParse(s);
  if (!r.success) throw new StoreError('INVALID_INPUT', `statuses: must be a non-empty list of ${BATCH_STATUSES.join(', ')}`);
  return r.data;
}

export function checkEnd(e: unknown): { status: 'succeeded' | 'failed' | 'canceled'; errorCode?: string | null; error?: string | null } {
  const r = z.object({ status: z.enum(['succeeded', 'failed', 'canceled']), errorCode: z.string().max(64).nullish(), error: z.string().max(4000).nullish() }).safeParse(e);
  if (!r.success) throw new StoreError('INVALID_INPUT', `end: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}

const OpsSampleShape = z.object({
  instance: z.string().min(1).max(256),
  at: z.date().refine((d) => Number.isFinite(d.getTime()), 'must be a valid date'),
  data: z.record(z.string(), z.unknown()),
});

export function checkOpsSample(s: unknown): OpsSampleRecord {
  return parse(OpsSampleShape, s, 'sample');
}

export function checkOpsSampleQuery(instance: unknown, opts: { since?: unknown; limit?: unknown; take?: unknown }): { instance: string; since: Date; limit: number; oldest: boolean } {
  return {
    instance: parse(OpsSampleShape.shape.instance, instance, 'instance'),
    since: opts.since === undefined ? new Date(0) : parse(OpsSampleShape.shape.at, opts.since, 'since'),
    limit: checkLimit(opts.limit, 10_000),
    oldest: parse(z.enum(['oldest', 'newest']).default('newest'), opts.take, 'take') === 'oldest',
  };
}

export function checkBefore(before: unknown): Date {
  return parse(OpsSampleShape.shape.at, before, 'before');
}
