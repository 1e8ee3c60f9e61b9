/**
 * The model registry's rows and filters, shared by both dialects: what registering and moving a
 * version write, which rows each lookup selects (inputs checked), and rows back to records.
 */
import { and, eq, type Column, type SQL } from 'drizzle-orm';
import type { StageMove } from './registry-rules.ts';
import type { ModelStage, ModelVersionRecord, RolloutChangeInput, RolloutRecord } from './types.ts';
import { checkModelName, checkModelVersion, checkStage, type checkNewModelVersion } from './validate-ops.ts';

type VersionColumns = { domain: Column; name: Column; version: Column; stage: Column };

/** A new version's row (stage dev) and its `register` history entry. */
export function registerRows(domain: string, v: ReturnType<typeof checkNewModelVersion>, now: Date) {
  return {
    version: { ...v, domain, stage: 'dev' as const, createdAt: now },
    change: { domain, name: v.name, version: v.version, fromStage: null, toStage: 'dev' as const, action: 'register' as const, actor: v.registeredBy, reason: null, details: null, createdAt: now },
  };
}

/** A stage move's update of the version row (`set`) and its history entry (`change`). */
export function moveRows(m: StageMove<{ domain: string; name: string; version: string; stage: ModelStage }>, now: Date) {
  const reason = m.change.reason ?? null;
  return {
    set: { stage: m.to, promotedBy: m.change.actor, promotedAt: now, reason },
    change: { domain: m.row.domain, name: m.row.name, version: m.row.version, fromStage: m.row.stage, toStage: m.to, action: m.action, actor: m.change.actor, reason, details: m.change.details ?? null, createdAt: now },
  };
}

/** The rows of one model of one domain (every version, history entry or rollout revision). */
export function modelIs(t: { domain: Column; name: Column }, domain: string, name: string) {
  return and(eq(t.domain, domain), eq(t.name, name));
}

/** The row of name@version in the domain. */
export function versionIs(t: VersionColumns, domain: string, name: string, version: string) {
  return and(modelIs(t, domain, checkModelName(name)), eq(t.version, checkModelVersion(version)));
}

/** The row of the name's production version in the domain. */
export function productionOf(t: VersionColumns, domain: string, name: string) {
  return and(modelIs(t, domain, checkModelName(name)), eq(t.stage, 'production'));
}

/** listModelVersions: the domain's, by name and/or stage when given. */
export function versionFilter(t: VersionColumns, domain: string, opts: { name?: string; stage?: ModelStage }) {
  const where: SQL[] = [eq(t.domain, domain)];
  if (opts.name !== undefined) where.push(eq(t.name, checkModelName(opts.name)));
  if (opts.stage !== undefined) where.push(eq(t.stage, checkStage(opts.stage)));
  return and(...where);
}

/** listStageChanges: a name's history in the domain, of one version when given. */
export function stageChangeFilter(t: { domain: Column; name: Column; version: Column }, domain: string, name: string, version: string | undefined) {
  const where = [eq(t.domain, domain), eq(t.name, checkModelName(name))];
  if (version !== undefined) where.push(eq(t.version, checkModelVersion(version)));
  return and(...where);
}

export function toModelVersionRecord(r: Omit<ModelVersionRecord, 'metrics' | 'settings' | 'baseline'> & Partial<Pick<ModelVersionRecord, 'metrics' | 'settings' | 'baseline'>>): ModelVersionRecord {
  return { ...r, metrics: r.metrics ?? null, settings: r.settings ?? null, baseline: r.baseline ?? null };
}

/** A rollout revision's row. */
export function rolloutRow(domain: string, name: string, revision: number, rule: Record<string, unknown> | null, c: RolloutChangeInput, now: Date) {
  return { domain, name, revision, rule, actor: c.actor, reason: c.reason ?? null, details: c.details ?? null, createdAt: now };
}

export function toRolloutRecord(r: Omit<RolloutRecord, 'rule' | 'details'> & { rule?: Record<string, unknown> | null; details?: Record<string, unknown> | null }): RolloutRecord {
  return { domain: r.domain, name: r.name, revision: r.revision, rule: r.rule ?? null, actor: r.actor, reason: r.reason, details: r.details ?? null, createdAt: r.createdAt };
}

/** The latest revision of every model whose rule is in force, from all revisions ordered by name and revision. */
export function latestRollouts(rows: Parameters<typeof toRolloutRecord>[0][]): RolloutRecord[] {
  const latest = new Map<string, RolloutRecord>();
  for (const r of rows) latest.set(r.name, toRolloutRecord(r));
  return [...latest.values()].filter((r) => r.rule !== null);
}
