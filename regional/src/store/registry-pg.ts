/**
 * The model registry on PostgreSQL (see ModelRegistryStore in types.ts); used by PgStore. Stage
 * changes lock the model's rows (SELECT … FOR UPDATE) so concurrent promotions serialize.
 */
import { asc, desc, eq, max } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { mapConstraintErrors } from './constraint-errors.ts';
import { StorePart } from './store-part.ts';
import { checkLimit } from './validate.ts';
import { CONCURRENT_ROLLOUT_CHANGE, CONCURRENT_STAGE_CHANGE, nextRolloutRevision, planRollback, planSetStage, type StageMove } from './registry-rules.ts';
import { latestRollouts, modelIs, moveRows, productionOf, registerRows, rolloutRow, stageChangeFilter, toModelVersionRecord, toRolloutRecord, versionFilter, versionIs } from './registry-rows.ts';
import * as schema from './schema.pg.ts';
import type { ModelRegistryStore, ModelStage, ModelVersionRecord, NewModelVersion, RolloutChangeInput, RolloutRecord, StageChangeInput, StageChangeRecord } from './types.ts';
import { checkModelName, checkNewModelVersion, checkPutRollout, checkSetStage, checkStageChange } from './validate-ops.ts';

const { modelVersions, modelStageChanges, modelRollouts } = schema;
type Db = NodePgDatabase<typeof schema>;
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Row = typeof modelVersions.$inferSelect;

export class PgRegistry extends StorePart<Db> implements ModelRegistryStore {
  constructor(
    db: Db,
    live: () => void,
    /** Every row read or written is this domain's (StoreOptions.domain). */
    readonly domain: string,
  ) {
    super(db, live);
  }

  async registerModelVersion(input: NewModelVersion): Promise<ModelVersionRecord> {
    this.live();
    const v = checkNewModelVersion(input);
    const rows = registerRows(this.domain, v, new Date());
    return mapConstraintErrors('postgres', { conflict: `${v.name}@${v.version} is already registered in ${this.domain}` }, () =>
      this.db.transaction(async (tx) => {
        const [row] = await tx.insert(modelVersions).values(rows.version).returning();
        await tx.insert(modelStageChanges).values(rows.change);
        return toModelVersionRecord(row);
      }),
    );
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersionRecord | null> {
    this.live();
    const [row] = await this.db.select().from(modelVersions).where(versionIs(modelVersions, this.domain, name, version));
    return row ? toModelVersionRecord(row) : null;
  }

  async listModelVersions(opts: { name?: string; stage?: ModelStage } = {}): Promise<ModelVersionRecord[]> {
    this.live();
    const rows = await this.db.select().from(modelVersions).where(versionFilter(modelVersions, this.domain, opts)).orderBy(desc(modelVersions.id));
    return rows.map(toModelVersionRecord);
  }

  async getProductionVersion(name: string): Promise<ModelVersionRecord | null> {
    this.live();
    const [row] = await this.db.select().from(modelVersions).where(productionOf(modelVersions, this.domain, name));
    return row ? toModelVersionRecord(row) : null;
  }

  async setStage(name: string, version: string, to: ModelStage, change: StageChangeInput): Promise<ModelVersionRecord> {
    this.live();
    const a = checkSetStage(name, version, to, change);
    return mapConstraintErrors('postgres', { conflict: CONCURRENT_STAGE_CHANGE }, () =>
      this.db.transaction(async (tx) => {
        const moves = planSetStage(a.name, await lockModel(tx, this.domain, a.name), a.version, a.stage, a.change);
        const now = new Date();
        let moved: ModelVersionRecord | undefined;
        for (const m of moves) moved = await move(tx, m, now);
        return moved!;
      }),
    );
  }

  async rollback(name: string, change: StageChangeInput): Promise<{ from: ModelVersionRecord; to: ModelVersionRecord }> {
    this.live();
    const n = checkModelName(name);
    const c = checkStageChange(change);
    return mapConstraintErrors('postgres', { conflict: CONCURRENT_STAGE_CHANGE }, () =>
      this.db.transaction(async (tx) => {
        const rows = await lockModel(tx, this.domain, n);
        const history = await tx.select().from(modelStageChanges).where(modelIs(modelStageChanges, this.domain, n)).orderBy(asc(modelStageChanges.id));
        const plan = planRollback(n, rows, history, c);
        const now = new Date();
        const from = await move(tx, plan.from, now);
        const to = await move(tx, plan.to, now);
        return { from, to };
      }),
    );
  }

  async listStageChanges(name: string, opts: { version?: string; limit?: number } = {}): Promise<StageChangeRecord[]> {
    this.live();
    const where = stageChangeFilter(modelStageChanges, this.domain, name, opts.version);
    const rows = await this.db.select().from(modelStageChanges).where(where).orderBy(desc(modelStageChanges.id)).limit(checkLimit(opts.limit, 1000));
    return rows.reverse();
  }

  async putRollout(name: string, rule: Record<string, unknown> | null, change: RolloutChangeInput): Promise<RolloutRecord> {
    this.live();
    const a = checkPutRollout(name, rule, change);
    return mapConstraintErrors('postgres', { conflict: CONCURRENT_ROLLOUT_CHANGE }, () =>
      this.db.transaction(async (tx) => {
        const now = new Date();
        // Two writers of the same revision: the unique (name, revision) index lets one win.
        const [{ current }] = await tx.select({ current: max(modelRollouts.revision) }).from(modelRollouts).where(modelIs(modelRollouts, this.domain, a.name));
        const revision = nextRolloutRevision(a.name, current ?? 0, a.change.expectedRevision);
        const [row] = await tx.insert(modelRollouts).values(rolloutRow(this.domain, a.name, revision, a.rule, a.change, now)).returning();
        if (a.change.stage) {
          const st = a.change.stage;
          for (const m of planSetStage(a.name, await lockModel(tx, this.domain, a.name), st.version, st.to, st.change)) await move(tx, m, now);
        }
        return toRolloutRecord(row);
      }),
    );
  }

  async getRollout(name: string): Promise<RolloutRecord | null> {
    this.live();
    const [row] = await this.db.select().from(modelRollouts).where(modelIs(modelRollouts, this.domain, checkModelName(name))).orderBy(desc(modelRollouts.revision)).limit(1);
    return row ? toRolloutRecord(row) : null;
  }

  async listRollouts(): Promise<RolloutRecord[]> {
    this.live();
    return latestRollouts(await this.db.select().from(modelRollouts).where(eq(modelRollouts.domain, this.domain)).orderBy(asc(modelRollouts.name), asc(modelRollouts.revision)));
  }

  async listRolloutHistory(name: string, opts: { limit?: number } = {}): Promise<RolloutRecord[]> {
    this.live();
    const rows = await this.db.select().from(modelRollouts).where(modelIs(modelRollouts, this.domain, checkModelName(name))).orderBy(desc(modelRollouts.revision)).limit(checkLimit(opts.limit, 1000));
    return rows.reverse().map(toRolloutRecord);
  }
}

/** All versions of a domain's model, locked until the transaction ends. */
function lockModel(tx: Tx, domain: string, name: string): Promise<Row[]> {
  return tx.select().from(modelVersions).where(modelIs(modelVersions, domain, name)).orderBy(asc(modelVersions.id)).for('update');
}

async function move(tx: Tx, m: StageMove<Row>, now: Date): Promise<ModelVersionRecord> {
  const { set, change } = moveRows(m, now);
  const [updated] = await tx.update(modelVersions).set(set).where(eq(modelVersions.id, m.row.id)).returning();
  await tx.insert(modelStageChanges).values(change);
  return toModelVersionRecord(updated);
}
