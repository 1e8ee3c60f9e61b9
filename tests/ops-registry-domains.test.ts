/**
 * Models are keyed by domain, on real SQLite and PostgreSQL: two domains sharing one database
 * (one region each) register the same model name and version without conflict, and a promotion,
 * rollback or rollout rule of one never touches the other's versions, history or rules. The CLI
 * takes the domain by pack folder or name; the canary windows shared through Redis are the
 * domain's own. Rows written before the keying are migrated (0007_domain_keys): to the one domain
 * served before packs existed, a routing config to the domain its name carries.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { migrate as migrateSqlite } from 'drizzle-orm/better-sqlite3/migrator';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { setupOrFail } from './helpers/setup-or-fail.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';
import { RedisSharedWindows, type WindowSnapshot } from '../regional/src/ops/rollout-fleet.ts';
import { openStore } from '../regional/src/store/open.ts';
import { PG_MIGRATIONS } from '../regional/src/store/pg-store.ts';
import { SQLITE_MIGRATIONS } from '../regional/src/store/sqlite-store.ts';
import { PG_EMBEDDING_DIMENSIONS } from '../regional/src/store/schema.pg.ts';
import type { NewModelVersion, Store } from '../regional/src/store/types.ts';

const ROOT = join(import.meta.dirname, '..');
const REDIS = process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const opts = (domain: string) => ({ dimensions: PG_EMBEDDING_DIMENSIONS, embeddingVersion: 'test', domain });
const run = promisify(execFile);

const code = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: { code?: string }) => e.code ?? String(e),
  );

const version = (v: string): NewModelVersion => ({
  name: 'intent',
  version: v,
  kind: 'intent-classifier',
  artifactUri: `/models/intent/${v}`,
  files: { 'onnx/model_quantized.onnx': 'a'.repeat(64) },
  sizeBytes: 1,
  registeredBy: 'test',
});

/** A copy of a dialect's migrations folder with only the migrations before `tag`. */
function migrationsBefore(folder: string, tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sy-migrations-'));
  cpSync(folder, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  expect(at).toBeGreaterThan(0);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
  return dir;
}

/** Rows as a registry before domain keys wrote them: a classifier, a routing config, their history and a rollout. */
const OLD_ROWS = [
  `INSERT INTO model_versions (name, version, kind, artifact_uri, files, size_bytes, stage, registered_by, created_at) VALUES ('switchyard-store-intent', '1.0.0', 'intent-classifier', '/m/1', '{}', 1, 'production', 'old', $T)`,
  `INSERT INTO model_versions (name, version, kind, artifact_uri, files, size_bytes, stage, registered_by, created_at) VALUES ('bank-support-routing-config', '1.0.0', 'routing-config', '/m/2', '{}', 1, 'dev', 'old', $T)`,
  `INSERT INTO model_stage_changes (name, version, to_stage, action, actor, created_at) VALUES ('switchyard-store-intent', '1.0.0', 'production', 'promote', 'old', $T)`,
  `INSERT INTO model_stage_changes (name, version, to_stage, action, actor, created_at) VALUES ('bank-support-routing-config', '1.0.0', 'dev', 'register', 'old', $T)`,
  `INSERT INTO model_rollouts (name, revision, rule, actor, created_at) VALUES ('bank-support-routing-config', 1, '{"kind":"routing-config"}', 'old', $T)`,
];

describe.each(['sqlite', 'postgres'] as const)('models keyed by domain on %s', (dialect) => {
  let db: TempDatabase;
  let shop: Store;
  let bank: Store;

  setupOrFail(async () => {
    db = await tempDatabase(dialect, 'sy-registry-domains-', 'reg.db');
    shop = await openStore(db.url, opts('shop'));
    bank = await openStore(db.url, opts('bank'));
  }, 60_000);
  afterAll(async () => {
    await shop?.close();
    await bank?.close();
    await db?.cleanup();
  });

  it("a promotion and a rollback in one domain leave the other's versions and history as they were", async () => {
    for (const v of ['1.0.0', '1.1.0']) {
      await shop.registry.registerModelVersion(version(v));
      await bank.registry.registerModelVersion(version(v)); // the same name@version in another domain is no conflict
    }
    expect(await code(shop.registry.registerModelVersion(version('1.0.0')))).toBe('CONFLICT');
    await bank.registry.setStage('intent', '1.0.0', 'staging', { actor: 'bank-ops' });
    await bank.registry.setStage('intent', '1.0.0', 'production', { actor: 'bank-ops' });
    const bankBefore = await bank.registry.listModelVersions();
    const bankHistory = await bank.registry.listStageChanges('intent');

    for (const v of ['1.0.0', '1.1.0']) {
      await shop.registry.setStage('intent', v, 'staging', { actor: 'shop-ops' });
      await shop.registry.setStage('intent', v, 'production', { actor: 'shop-ops' });
    }
    expect((await shop.registry.getProductionVersion('intent'))?.version).toBe('1.1.0');
    // Both domains have a production version of the same name at once.
    expect((await bank.registry.getProductionVersion('intent'))?.version).toBe('1.0.0');
    expect(await bank.registry.listModelVersions()).toEqual(bankBefore);
    expect(await bank.registry.listStageChanges('intent')).toEqual(bankHistory);

    const { from, to } = await shop.registry.rollback('intent', { actor: 'pager', reason: 'shop canary' });
    expect([from.version, to.version]).toEqual(['1.1.0', '1.0.0']);
    expect(await bank.registry.listModelVersions()).toEqual(bankBefore);
    expect(await bank.registry.listStageChanges('intent')).toEqual(bankHistory);
    // The bank has no earlier production version of its own: another domain's history is no rollback target.
    expect(await code(bank.registry.rollback('intent', { actor: 'pager' }))).toBe('CONFLICT');
    expect((await shop.registry.listModelVersions()).every((v) => v.domain === 'shop')).toBe(true);
    expect((await bank.registry.listStageChanges('intent')).every((h) => h.domain === 'bank')).toBe(true);

    // A version only one domain registered is not found in the other.
    await shop.registry.registerModelVersion(version('2.0.0'));
    expect(await bank.registry.getModelVersion('intent', '2.0.0')).toBeNull();
    expect(await code(bank.registry.setStage('intent', '2.0.0', 'staging', { actor: 'bank-ops' }))).toBe('NOT_FOUND');
  });

  it("rollout rules and their revisions are each domain's own", async () => {
    await shop.registry.registerModelVersion(version('1.2.0'));
    await shop.registry.setStage('intent', '1.2.0', 'staging', { actor: 'shop-ops' });
    await bank.registry.setStage('intent', '1.1.0', 'staging', { actor: 'bank-ops' });
    const canary = (v: string, percent: number) => ({ kind: 'intent-classifier', control: '1.0.0', canary: { version: v, percent } });
    const a = await shop.registry.putRollout('intent', canary('1.2.0', 10), { actor: 'shop-ops', expectedRevision: 0 });
    expect(a).toMatchObject({ domain: 'shop', revision: 1 });
    expect(await bank.registry.getRollout('intent')).toBeNull();
    expect(await bank.registry.listRollouts()).toEqual([]);
    // The bank starts its own revisions at 1: the shop's revision is not its compare-and-set token.
    const b = await bank.registry.putRollout('intent', canary('1.1.0', 50), { actor: 'bank-ops', expectedRevision: 0 });
    expect(b).toMatchObject({ domain: 'bank', revision: 1 });
    // A canary sent back in the shop moves the shop's candidate only.
    await shop.registry.putRollout('intent', null, { actor: 'monitor', expectedRevision: 1, stage: { version: '1.2.0', to: 'dev', change: { actor: 'monitor', action: 'rollback' } } });
    expect((await shop.registry.getModelVersion('intent', '1.2.0'))?.stage).toBe('dev');
    expect((await bank.registry.getModelVersion('intent', '1.1.0'))?.stage).toBe('staging');
    expect((await bank.registry.getRollout('intent'))?.rule).toMatchObject({ canary: { percent: 50 } });
    expect((await shop.registry.listRollouts()).length).toBe(0);
    expect((await bank.registry.listRolloutHistory('intent')).map((r) => [r.domain, r.revision])).toEqual([['bank', 1]]);
  });

  it('refuses a domain that is not a domain name', async () => {
    expect(await code(openStore(db.url, opts('../Other Bank')))).toBe('INVALID_INPUT');
  });

  it('migrates rows written before domain keys: to the old default domain, a routing config to its own', async () => {
    const old = await tempDatabase(dialect, 'sy-registry-migrate-', 'old.db');
    const now = dialect === 'sqlite' ? String(Date.now()) : 'now()';
    const folder = migrationsBefore(dialect === 'sqlite' ? SQLITE_MIGRATIONS : PG_MIGRATIONS, '0007_domain_keys');
    try {
      if (dialect === 'sqlite') {
        const raw = new Database(old.url);
        migrateSqlite(drizzleSqlite({ client: raw }), { migrationsFolder: folder });
        for (const q of OLD_ROWS) raw.exec(q.replaceAll('$T', now));
        raw.close();
      } else {
        const client = new pg.Client({ connectionString: old.url });
        await client.connect();
        try {
          await migratePg(drizzlePg({ client }), { migrationsFolder: folder });
          for (const q of OLD_ROWS) await client.query(q.replaceAll('$T', now));
        } finally {
          await client.end();
        }
      }
      const store = await openStore(old.url, opts('kitsune-books'));
      const bankStore = await openStore(old.url, opts('bank-support'));
      try {
        expect((await store.registry.getProductionVersion('switchyard-store-intent'))?.domain).toBe('kitsune-books');
        expect((await store.registry.listStageChanges('switchyard-store-intent')).map((h) => h.domain)).toEqual(['kitsune-books']);
        expect(await store.registry.getModelVersion('bank-support-routing-config', '1.0.0')).toBeNull();
        expect((await bankStore.registry.getModelVersion('bank-support-routing-config', '1.0.0'))?.domain).toBe('bank-support');
        expect((await bankStore.registry.listStageChanges('bank-support-routing-config')).length).toBe(1);
        expect((await bankStore.registry.listRollouts()).map((r) => [r.domain, r.name])).toEqual([['bank-support', 'bank-support-routing-config']]);
        // A new row after the migration is keyed by the writer's domain, and the new unique keys hold.
        await bankStore.registry.registerModelVersion({ ...version('1.0.0'), name: 'switchyard-store-intent' });
        expect((await store.registry.listModelVersions({ name: 'switchyard-store-intent' })).length).toBe(1);
      } finally {
        await store.close();
        await bankStore.close();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await old.cleanup();
    }
  }, 60_000);

  if (dialect === 'sqlite') {
    it('CLI: --domain takes a pack folder or a name, and acts on that domain only', async () => {
      const cli = (...args: string[]) =>
        run(process.execPath, ['--import', 'tsx', 'regional/src/ops/cli/registry.ts', ...args, '--json'], { env: { ...process.env, DATABASE_URL: db.url }, cwd: ROOT, timeout: 60_000 }).then(
          (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
          (e) => ({ code: e.code as number, out: e.stdout as string, err: e.stderr as string }),
        );
      const folder = join(db.dir, 'clf');
      cpSync(join(ROOT, 'domains', 'bank-support', 'models', 'intent'), folder, { recursive: true });
      const reg = await cli('register', folder, '--no-baseline', '--domain', 'domains/bank-support');
      expect(reg.code).toBe(0);
      const name = JSON.parse(reg.out).name as string;
      expect(JSON.parse(reg.out)).toMatchObject({ domain: 'bank-support', stage: 'dev' });
      expect(JSON.parse((await cli('list', '--domain', 'bank-support')).out).map((v: { name: string }) => v.name)).toEqual([name]);
      expect(JSON.parse((await cli('list', '--domain', 'shop')).out).some((v: { name: string }) => v.name === name)).toBe(false);
      const promote = await cli('promote', name, JSON.parse(reg.out).version, '--to', 'staging', '--domain', 'shop');
      expect(promote.code).toBe(1);
      expect(promote.err).toMatch(/NOT_FOUND.*in shop/);
      const bad = await cli('list', '--domain', 'Not/A Domain');
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/neither a domain pack folder/);
    }, 120_000);
  }
});

describe('canary windows shared through Redis', () => {
  it("are the domain's own: an instance of another domain never judges them", async () => {
    const prefix = `sy-test-domains-${Date.now().toString(36)}`;
    const clients = [new Redis(REDIS, { lazyConnect: true, maxRetriesPerRequest: 1 }), new Redis(REDIS, { lazyConnect: true, maxRetriesPerRequest: 1 })];
    const [shop, bank] = clients.map((r, i) => new RedisSharedWindows(r, { prefix, domain: i ? 'bank' : 'shop', instance: `i${i}`, windowMs: 60_000 }));
    try {
      const bucket = (requests: number): WindowSnapshot => ({ '1.0.0': [{ start: 0, requests, errors: 0, ms: [], confidence: [], compared: 0, agreed: 0 }] });
      await shop.publish('intent', 'exp', bucket(7));
      const seen = await bank.exchange('intent', 'exp', bucket(3));
      expect(seen).toEqual([bucket(3)]);
      expect(await shop.exchange('intent', 'exp', bucket(7))).toEqual([bucket(7)]);
    } finally {
      const keys = await clients[0].keys(`${prefix}:*`);
      if (keys.length) await clients[0].del(...keys);
      await shop.close();
      await bank.close();
    }
  });
});
