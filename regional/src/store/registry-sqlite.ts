/** The model registry on SQLite (see ModelRegistryStore in types.ts); used by SqliteStore. */
import { and, asc, desc, eq, type SQL } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { checkLimit, driverCode } from './validate.ts';
import { actionFor, checkTransition, rollbackTarget } from './registry-rules.ts';
import * as schema from './schema.sqlite.ts';
import { StoreError, type ModelRegistryStore, type ModelStage, type ModelVersionRecord, type NewModelVersion, type StageChangeInput, type StageChangeRecord } from './types.ts';
import { checkModelName, checkModelVersion, checkNewModelVersion, checkStage, checkStageChange } from './validate-ops.ts';

const { modelVersions, modelStageChanges } = schema;
type Db = BetterSQLite3Database<typeof schema>;
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export class SqliteRegistry implements ModelRegistryStore {
  constructor(
    private readonly db: Db,
    private readonly live: () => void,
  ) {}

  async registerModelVersion(input: NewModelVersion): Promise<ModelVersionRecord> {
    this.live();
    const v = checkNewModelVersion(input);
    const now = new Date();
    try {
      return this.db.transaction(
        (tx) => {
          const row = tx
            .insert(modelVersions)
            .values({ ...v, stage: 'dev', createdAt: now })
            .returning()
            .get();
          tx.insert(modelStageChanges).values({ name: v.name, version: v.version, fromStage: null, toStage: 'dev', action: 'register', actor: v.registeredBy, reason: null, createdAt: now }).run();
          return toRecord(row);
        },
        { behavior: 'immediate' },
      );
    } catch (e) {
      if (driverCode(e)?.startsWith('SQLITE_CONSTRAINT_')) throw new StoreError('CONFLICT', `${v.name}@${v.version} is already registered`);
      throw e;
    }
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersionRecord | null> {
    this.live();
    const row = this.db
      .select()
      .from(modelVersions)
      .where(and(eq(modelVersions.name, checkModelName(name)), eq(modelVersions.version, checkModelVersion(version))))
      .get();
    return row ? toRecord(row) : null;
  }

  async listModelVersions(opts: { name?: string; stage?: ModelStage } = {}): Promise<ModelVersionRecord[]> {
    this.live();
    const where: SQL[] = [];
    if (opts.name !== undefined) where.push(eq(modelVersions.name, checkModelName(opts.name)));
    if (opts.stage !== undefined) where.push(eq(modelVersions.stage, checkStage(opts.stage)));
    return this.db
      .select()
      .from(modelVersions)
      .where(and(...where))
      .orderBy(desc(modelVersions.id))
      .all()
      .map(toRecord);
  }

  async getProductionVersion(name: string): Promise<ModelVersionRecord | null> {
    this.live();
    const row = this.db
      .select()
      .from(modelVersions)
      .where(and(eq(modelVersions.name, checkModelName(name)), eq(modelVersions.stage, 'production')))
      .get();
    return row ? toRecord(row) : null;
  }

  async setStage(name: string, version: string, to: ModelStage, change: StageChangeInput): Promise<ModelVersionRecord> {
    this.live();
    const n = checkModelName(name);
    const v = checkModelVersion(version);
    const stage = checkStage(to);
    const c = checkStageChange(change);
    return this.write(() =>
      this.db.transaction(
        (tx) => {
          const row = tx.select().from(modelVersions).where(and(eq(modelVersions.name, n), eq(modelVersions.version, v))).get();
          if (!row) throw new StoreError('NOT_FOUND', `no model version ${n}@${v}`);
          checkTransition(`${n}@${v}`, row.stage, stage);
          const now = new Date();
          if (stage === 'production') {
            const current = tx.select().from(modelVersions).where(and(eq(modelVersions.name, n), eq(modelVersions.stage, 'production'))).get();
            if (current) move(tx, current, 'archived', 'demote', { actor: c.actor, reason: `replaced by ${v}${c.reason ? `: ${c.reason}` : ''}` }, now);
          }
          return move(tx, row, stage, actionFor(row.stage, stage), c, now);
        },
        { behavior: 'immediate' },
      ),
    );
  }

  async rollback(name: string, change: StageChangeInput): Promise<{ from: ModelVersionRecord; to: ModelVersionRecord }> {
    this.live();
    const n = checkModelName(name);
    const c = checkStageChange(change);
    return this.write(() =>
      this.db.transaction(
        (tx) => {
          const current = tx.select().from(modelVersions).where(and(eq(modelVersions.name, n), eq(modelVersions.stage, 'production'))).get();
          if (!current) throw new StoreError('NOT_FOUND', `${n} has no version in production`);
          const history = tx.select().from(modelStageChanges).where(eq(modelStageChanges.name, n)).orderBy(asc(modelStageChanges.id)).all();
          const target = rollbackTarget(history, current.version);
          if (!target) throw new StoreError('CONFLICT', `${n}@${current.version} is the first production version: there is nothing to roll back to`);
          const prev = tx.select().from(modelVersions).where(and(eq(modelVersions.name, n), eq(modelVersions.version, target))).get()!;
          const now = new Date();
          const reason = c.reason ?? null;
          const from = move(tx, current, 'archived', 'rollback', { actor: c.actor, reason: `rolled back to ${target}${reason ? `: ${reason}` : ''}` }, now);
          const to = move(tx, prev, 'production', 'rollback', { actor: c.actor, reason: `rollback from ${current.version}${reason ? `: ${reason}` : ''}` }, now);
          return { from, to };
        },
        { behavior: 'immediate' },
      ),
    );
  }

  async listStageChanges(name: string, opts: { version?: string; limit?: number } = {}): Promise<StageChangeRecord[]> {
    this.live();
    const where = [eq(modelStageChanges.name, checkModelName(name))];
    if (opts.version !== undefined) where.push(eq(modelStageChanges.version, checkModelVersion(opts.version)));
    const rows = this.db
      .select()
      .from(modelStageChanges)
      .where(and(...where))
      .orderBy(desc(modelStageChanges.id))
      .limit(checkLimit(opts.limit, 1000))
      .all();
    return rows.reverse();
  }

  /** A concurrent promotion that wins the one-production index race surfaces as CONFLICT. */
  private write<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof StoreError) throw e;
      if (driverCode(e)?.startsWith('SQLITE_CONSTRAINT_')) throw new StoreError('CONFLICT', 'another stage change for this model happened at the same time; retry');
      throw e;
    }
  }
}

function move(tx: Tx, row: typeof modelVersions.$inferSelect, to: ModelStage, action: StageChangeRecord['action'], c: StageChangeInput, now: Date): ModelVersionRecord {
  const updated = tx
    .update(modelVersions)
    .set({ stage: to, promotedBy: c.actor, promotedAt: now, reason: c.reason ?? null })
    .where(eq(modelVersions.id, row.id))
    .returning()
    .get();
  tx.insert(modelStageChanges).values({ name: row.name, version: row.version, fromStage: row.stage, toStage: to, action, actor: c.actor, reason: c.reason ?? null, createdAt: now }).run();
  return toRecord(updated);
}

function toRecord(r: typeof modelVersions.$inferSelect): ModelVersionRecord {
  return { ...r, metrics: r.metrics ?? null, settings: r.settings ?? null, baseline: r.baseline ?? null };
}
