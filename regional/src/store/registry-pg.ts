/**
 * The model registry on PostgreSQL (see ModelRegistryStore in types.ts); used by PgStore. Stage
 * changes lock the model's rows (SELECT … FOR UPDATE) so concurrent promotions serialize.
 */
import { and, asc, desc, eq, type SQL } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { checkLimit, driverCode } from './validate.ts';
import { actionFor, checkTransition, rollbackTarget } from './registry-rules.ts';
import * as schema from './schema.pg.ts';
import { StoreError, type ModelRegistryStore, type ModelStage, type ModelVersionRecord, type NewModelVersion, type StageChangeInput, type StageChangeRecord } from './types.ts';
import { checkModelName, checkModelVersion, checkNewModelVersion, checkStage, checkStageChange } from './validate-ops.ts';

const { modelVersions, modelStageChanges } = schema;
type Db = NodePgDatabase<typeof schema>;
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Row = typeof modelVersions.$inferSelect;

export class PgRegistry implements ModelRegistryStore {
  constructor(
    private readonly db: Db,
    private readonly live: () => void,
  ) {}

  async registerModelVersion(input: NewModelVersion): Promise<ModelVersionRecord> {
    this.live();
    const v = checkNewModelVersion(input);
    const now = new Date();
    try {
      return await this.db.transaction(async (tx) => {
        const [row] = await tx
          .insert(modelVersions)
          .values({ ...v, stage: 'dev', createdAt: now })
          .returning();
        await tx.insert(modelStageChanges).values({ name: v.name, version: v.version, fromStage: null, toStage: 'dev', action: 'register', actor: v.registeredBy, reason: null, createdAt: now });
        return toRecord(row);
      });
    } catch (e) {
      if (driverCode(e) === '23505') throw new StoreError('CONFLICT', `${v.name}@${v.version} is already registered`);
      throw e;
    }
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersionRecord | null> {
    this.live();
    const [row] = await this.db
      .select()
      .from(modelVersions)
      .where(and(eq(modelVersions.name, checkModelName(name)), eq(modelVersions.version, checkModelVersion(version))));
    return row ? toRecord(row) : null;
  }

  async listModelVersions(opts: { name?: string; stage?: ModelStage } = {}): Promise<ModelVersionRecord[]> {
    this.live();
    const where: SQL[] = [];
    if (opts.name !== undefined) where.push(eq(modelVersions.name, checkModelName(opts.name)));
    if (opts.stage !== undefined) where.push(eq(modelVersions.stage, checkStage(opts.stage)));
    const rows = await this.db
      .select()
      .from(modelVersions)
      .where(and(...where))
      .orderBy(desc(modelVersions.id));
    return rows.map(toRecord);
  }

  async getProductionVersion(name: string): Promise<ModelVersionRecord | null> {
    this.live();
    const [row] = await this.db
      .select()
      .from(modelVersions)
      .where(and(eq(modelVersions.name, checkModelName(name)), eq(modelVersions.stage, 'production')));
    return row ? toRecord(row) : null;
  }

  async setStage(name: string, version: string, to: ModelStage, change: StageChangeInput): Promise<ModelVersionRecord> {
    this.live();
    const n = checkModelName(name);
    const v = checkModelVersion(version);
    const stage = checkStage(to);
    const c = checkStageChange(change);
    return this.write(() =>
      this.db.transaction(async (tx) => {
        const rows = await lockModel(tx, n);
        const row = rows.find((r) => r.version === v);
        if (!row) throw new StoreError('NOT_FOUND', `no model version ${n}@${v}`);
        checkTransition(`${n}@${v}`, row.stage, stage);
        const now = new Date();
        if (stage === 'production') {
          const current = rows.find((r) => r.stage === 'production');
          if (current) await move(tx, current, 'archived', 'demote', { actor: c.actor, reason: `replaced by ${v}${c.reason ? `: ${c.reason}` : ''}` }, now);
        }
        return move(tx, row, stage, actionFor(row.stage, stage), c, now);
      }),
    );
  }

  async rollback(name: string, change: StageChangeInput): Promise<{ from: ModelVersionRecord; to: ModelVersionRecord }> {
    this.live();
    const n = checkModelName(name);
    const c = checkStageChange(change);
    return this.write(() =>
      this.db.transaction(async (tx) => {
        const rows = await lockModel(tx, n);
        const current = rows.find((r) => r.stage === 'production');
        if (!current) throw new StoreError('NOT_FOUND', `${n} has no version in production`);
        const history = await tx.select().from(modelStageChanges).where(eq(modelStageChanges.name, n)).orderBy(asc(modelStageChanges.id));
        const target = rollbackTarget(history, current.version);
        if (!target) throw new StoreError('CONFLICT', `${n}@${current.version} is the first production version: there is nothing to roll back to`);
        const prev = rows.find((r) => r.version === target)!;
        const now = new Date();
        const reason = c.reason ?? null;
        const from = await move(tx, current, 'archived', 'rollback', { actor: c.actor, reason: `rolled back to ${target}${reason ? `: ${reason}` : ''}` }, now);
        const to = await move(tx, prev, 'production', 'rollback', { actor: c.actor, reason: `rollback from ${current.version}${reason ? `: ${reason}` : ''}` }, now);
        return { from, to };
      }),
    );
  }

  async listStageChanges(name: string, opts: { version?: string; limit?: number } = {}): Promise<StageChangeRecord[]> {
    this.live();
    const where = [eq(modelStageChanges.name, checkModelName(name))];
    if (opts.version !== undefined) where.push(eq(modelStageChanges.version, checkModelVersion(opts.version)));
    const rows = await this.db
      .select()
      .from(modelStageChanges)
      .where(and(...where))
      .orderBy(desc(modelStageChanges.id))
      .limit(checkLimit(opts.limit, 1000));
    return rows.reverse();
  }

  private async write<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof StoreError) throw e;
      if (driverCode(e) === '23505') throw new StoreError('CONFLICT', 'another stage change for this model happened at the same time; retry');
      throw e;
    }
  }
}

/** All versions of a model, locked until the transaction ends. */
function lockModel(tx: Tx, name: string): Promise<Row[]> {
  return tx.select().from(modelVersions).where(eq(modelVersions.name, name)).orderBy(asc(modelVersions.id)).for('update');
}

async function move(tx: Tx, row: Row, to: ModelStage, action: StageChangeRecord['action'], c: StageChangeInput, now: Date): Promise<ModelVersionRecord> {
  const [updated] = await tx
    .update(modelVersions)
    .set({ stage: to, promotedBy: c.actor, promotedAt: now, reason: c.reason ?? null })
    .where(eq(modelVersions.id, row.id))
    .returning();
  await tx.insert(modelStageChanges).values({ name: row.name, version: row.version, fromStage: row.stage, toStage: to, action, actor: c.actor, reason: c.reason ?? null, createdAt: now });
  return toRecord(updated);
}

function toRecord(r: Row): ModelVersionRecord {
  return { ...r, metrics: r.metrics ?? null, settings: r.settings ?? null, baseline: r.baseline ?? null };
}
