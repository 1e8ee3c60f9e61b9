/**
 * The model registry on SQLite (see ModelRegistryStore in types.ts); used by SqliteStore. Stage
 * changes run in IMMEDIATE transactions (the database's write lock), so they serialize.
 */
import { asc, desc, eq, max } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { mapConstraintErrors } from './constraint-errors.ts';
import { StorePart } from './store-part.ts';
import { checkLimit } from './validate.ts';
import { CONCURRENT_ROLLOUT_CHANGE, CONCURRENT_STAGE_CHANGE, nextRolloutRevision, planRollback, planSetStage, type StageMove } from './registry-rules.ts';
import { latestRollouts, modelIs, moveRows, productionOf, registerRows, rolloutRow, stageChangeFilter, toModelVersionRecord, toRolloutRecord, versionFilter, versionIs } from './registry-rows.ts';
import * as schema from './schema.sqlite.ts';
import type { ModelRegistryStore, ModelStage, ModelVersionRecord, NewModelVersion, RolloutChangeInput, RolloutRecord, StageChangeInput, StageChangeRecord } from './types.ts';
import { checkModelName, checkNewModelVersion, checkPutRollout, checkSetStage, checkStageChange } from './validate-ops.ts';

const { modelVersions, modelStageChanges, modelRollouts } = schema;
type Db = BetterSQLite3Database<typeof schema>;
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Row = typeof modelVersions.$inferSelect;

export class SqliteRegistry extends StorePart<Db> implements ModelRegistryStore {
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
    return mapConstraintErrors('sqlite', { conflict: `${v.name}@${v.version} is already registered in ${this.domain}` }, () =>
      this.db.transaction(
        (tx) => {
          const row = tx.insert(modelVersions).values(rows.version).returning().get();
          tx.insert(modelStageChanges).values(rows.change).run();
          return toModelVersionRecord(row);
        },
        { behavior: 'immediate' },
      ),
    );
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersionRecord | null> {
    this.live();
    const row = this.db.select().from(modelVersions).where(versionIs(modelVersions, this.domain, name, version)).get();
    return row ? toModelVersionRecord(row) : null;
  }

  async listModelVersions(opts: { name?: string; stage?: ModelStage } = {}): Promise<ModelVersionRecord[]> {
    this.live();
    return this.db.select().from(modelVersions).where(versionFilter(modelVersions, this.domain, opts)).orderBy(desc(modelVersions.id)).all().map(toModelVersionRecord);
  }

  async getProductionVersion(name: string): Promise<ModelVersionRecord | null> {
    this.live();
    const row = this.db.select().from(modelVersions).where(productionOf(modelVersions, this.domain, name)).get();
    return row ? toModelVersionRecord(row) : null;
  }

  async setStage(name: string, version: string, to: ModelStage, change: StageChangeInput): Promise<ModelVersionRecord> {
    this.live();
    const a = checkSetStage(name, version, to, change);
    return mapConstraintErrors('sqlite', { conflict: CONCURRENT_STAGE_CHANGE }, () =>
      this.db.transaction(
        (tx) => {
          const moves = planSetStage(a.name, versionsOf(tx, this.domain, a.name), a.version, a.stage, a.change);
          const now = new Date();
          return moves.map((m) => move(tx, m, now)).at(-1)!;
        },
        { behavior: 'immediate' },
      ),
    );
  }

  async rollback(name: string, change: StageChangeInput): Promise<{ from: ModelVersionRecord; to: ModelVersionRecord }> {
    this.live();
    const n = checkModelName(name);
    const c = checkStageChange(change);
    return mapConstraintErrors('sqlite', { conflict: CONCURRENT_STAGE_CHANGE }, () =>
      this.db.transaction(
        (tx) => {
          const history = tx.select().from(modelStageChanges).where(modelIs(modelStageChanges, this.domain, n)).orderBy(asc(modelStageChanges.id)).all();
          const plan = planRollback(n, versionsOf(tx, this.domain, n), history, c);
          const now = new Date();
          return { from: move(tx, plan.from, now), to: move(tx, plan.to, now) };
        },
        { behavior: 'immediate' },
      ),
    );
  }

  async listStageChanges(name: string, opts: { version?: string; limit?: number } = {}): Promise<StageChangeRecord[]> {
    this.live();
    const where = stageChangeFilter(modelStageChanges, this.domain, name, opts.version);
    const rows = this.db.select().from(modelStageChanges).where(where).orderBy(desc(modelStageChanges.id)).limit(checkLimit(opts.limit, 1000)).all();
    return rows.reverse();
  }

  async putRollout(name: string, rule: Record<string, unknown> | null, change: RolloutChangeInput): Promise<RolloutRecord> {
    this.live();
    const a = checkPutRollout(name, rule, change);
    return mapConstraintErrors('sqlite', { conflict: CONCURRENT_ROLLOUT_CHANGE }, () =>
      this.db.transaction(
        (tx) => {
          const now = new Date();
          const [{ current }] = tx.select({ current: max(modelRollouts.revision) }).from(modelRollouts).where(modelIs(modelRollouts, this.domain, a.name)).all();
          const revision = nextRolloutRevision(a.name, current ?? 0, a.change.expectedRevision);
          const row = tx.insert(modelRollouts).values(rolloutRow(this.domain, a.name, revision, a.rule, a.change, now)).returning().get();
          if (a.change.stage) {
            const st = a.change.stage;
            for (const m of planSetStage(a.name, versionsOf(tx, this.domain, a.name), st.version, st.to, st.change)) move(tx, m, now);
          }
          return toRolloutRecord(row);
        },
        { behavior: 'immediate' },
      ),
    );
  }

  async getRollout(name: string): Promise<RolloutRecord | null> {
    this.live();
    const row = this.db.select().from(modelRollouts).where(modelIs(modelRollouts, this.domain, checkModelName(name))).orderBy(desc(modelRollouts.revision)).limit(1).get();
    return row ? toRolloutRecord(row) : null;
  }

  async listRollouts(): Promise<RolloutRecord[]> {
    this.live();
    return latestRollouts(this.db.select().from(modelRollouts).where(eq(modelRollouts.domain, this.domain)).orderBy(asc(modelRollouts.name), asc(modelRollouts.revision)).all());
  }

  async listRolloutHistory(name: string, opts: { limit?: number } = {}): Promise<RolloutRecord[]> {
    this.live();
    const rows = this.db.select().from(modelRollouts).where(modelIs(modelRollouts, this.domain, checkModelName(name))).orderBy(desc(modelRollouts.revision)).limit(checkLimit(opts.limit, 1000)).all();
    return rows.reverse().map(toRolloutRecord);
  }
}

/** All versions of a domain's model, oldest first. */
function versionsOf(tx: Tx, domain: string, name: string): Row[] {
  return tx.select().from(modelVersions).where(modelIs(modelVersions, domain, name)).orderBy(asc(modelVersions.id)).all();
}

function move(tx: Tx, m: StageMove<Row>, now: Date): ModelVersionRecord {
  const { set, change } = moveRows(m, now);
  const updated = tx.update(modelVersions).set(set).where(eq(modelVersions.id, m.row.id)).returning().get();
  tx.insert(modelStageChanges).values(change).run();
  return toModelVersionRecord(updated);
}
