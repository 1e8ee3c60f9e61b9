/**
 * The model registry on SQLite and PostgreSQL: registration verifies every file (a tampered or
 * unlisted file is refused), stage changes follow the rules with one production version per
 * model, rollback restores the previous production version, and everything is in the history.
 * The CLI is run once as a child process on the same database.
 */
import { execFile } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { setupOrFail } from './helpers/setup-or-fail.ts';
import { watchProduction } from '../regional/src/ops/promotion-watch.ts';
import { inspectModelFolder, registerModelFolder, RegistryInputError, verifyRegisteredArtifact } from '../regional/src/ops/register-folder.ts';
import { isDriftBaseline } from '../regional/src/ops/drift.ts';
import { storeIntents } from '../models/pipeline/store-data.ts';
import { openStore } from '../regional/src/store/open.ts';
import { rollbackTarget } from '../regional/src/store/registry-rules.ts';
import { PG_EMBEDDING_DIMENSIONS } from '../regional/src/store/schema.pg.ts';
import { StoreError, type NewModelVersion, type Store } from '../regional/src/store/types.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';

const OPTS = { dimensions: PG_EMBEDDING_DIMENSIONS, embeddingVersion: 'test', domain: 'test' };
const DEFAULT_CLASSIFIER = join(import.meta.dirname, '..', 'models', 'default', 'store-intent');
const run = promisify(execFile);

async function code(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e as { code?: string }).code ?? String(e),
  );
}

function version(v: string, extra: Partial<NewModelVersion> = {}): NewModelVersion {
  return {
    name: 'clf',
    version: v,
    kind: 'intent-classifier',
    artifactUri: `/models/clf/${v}`,
    files: { 'onnx/model_quantized.onnx': 'a'.repeat(64), 'config.json': 'b'.repeat(64) },
    sizeBytes: 1234,
    registeredBy: 'test',
    ...extra,
  };
}

describe('rollback target', () => {
  it('is the production version before the current one', () => {
    const h = (pairs: [string, string][]) => pairs.map(([version, toStage]) => ({ version, toStage: toStage as 'production' }));
    expect(rollbackTarget(h([['1', 'dev'], ['1', 'production'], ['2', 'dev'], ['2', 'production']]), '2')).toBe('1');
    expect(rollbackTarget(h([['1', 'production'], ['2', 'production'], ['1', 'production']]), '1')).toBe('2');
    expect(rollbackTarget(h([['1', 'production']]), '1')).toBeNull();
  });
});

describe.each(['sqlite', 'postgres'] as const)('model registry on %s', (dialect) => {
  let db: TempDatabase;
  let dir: string;
  let url: string;
  let store: Store;

  setupOrFail(async () => {
    db = await tempDatabase(dialect, 'sy-registry-', 'reg.db');
    ({ dir, url } = db);
    store = await openStore(url, OPTS);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await db?.cleanup();
  });

  it('registers in dev, refuses duplicates and bad input, and lists newest first', async () => {
    const r = await store.registry.registerModelVersion(version('1.0.0', { gitCommit: 'abc1234', parentVersion: null, metrics: { acc: 0.9 } }));
    expect(r).toMatchObject({ name: 'clf', version: '1.0.0', stage: 'dev', gitCommit: 'abc1234', metrics: { acc: 0.9 }, promotedAt: null, sizeBytes: 1234 });
    expect(await code(store.registry.registerModelVersion(version('1.0.0')))).toBe('CONFLICT');
    expect(await code(store.registry.registerModelVersion(version('bad version!')))).toBe('INVALID_INPUT');
    expect(await code(store.registry.registerModelVersion(version('1.0.1', { files: { x: 'not-a-sha' } })))).toBe('INVALID_INPUT');
    await store.registry.registerModelVersion(version('1.1.0', { parentVersion: '1.0.0' }));
    expect((await store.registry.listModelVersions({ name: 'clf' })).map((v) => v.version)).toEqual(['1.1.0', '1.0.0']);
    expect(await store.registry.getModelVersion('clf', '9.9.9')).toBeNull();
  });

  it('moves through the stages with one production version, and rolls back', async () => {
    const reg = store.registry;
    const actor = { actor: 'alice', reason: 'gate passed' };
    expect(await code(reg.setStage('clf', '1.0.0', 'production', actor))).toBe('CONFLICT'); // dev → production skips staging
    expect(await code(reg.setStage('clf', '0.0.1', 'staging', actor))).toBe('NOT_FOUND');
    expect(await code(reg.rollback('clf', actor))).toBe('NOT_FOUND');
    await reg.setStage('clf', '1.0.0', 'staging', actor);
    const p1 = await reg.setStage('clf', '1.0.0', 'production', actor);
    expect(p1).toMatchObject({ stage: 'production', promotedBy: 'alice', reason: 'gate passed' });
    expect(p1.promotedAt).toBeInstanceOf(Date);
    expect(await code(reg.rollback('clf', actor))).toBe('CONFLICT'); // nothing earlier

    await reg.setStage('clf', '1.1.0', 'staging', actor);
    await reg.setStage('clf', '1.1.0', 'production', { actor: 'bob' });
    expect((await reg.getProductionVersion('clf'))?.version).toBe('1.1.0');
    expect((await reg.getModelVersion('clf', '1.0.0'))?.stage).toBe('archived');
    expect((await reg.listModelVersions({ stage: 'production' })).map((v) => v.version)).toEqual(['1.1.0']);

    const { from, to } = await reg.rollback('clf', { actor: 'pager', reason: 'error rate 3× control' });
    expect([from.version, from.stage, to.version, to.stage]).toEqual(['1.1.0', 'archived', '1.0.0', 'production']);
    expect(to.reason).toMatch(/rollback from 1\.1\.0: error rate 3× control/);
    expect((await reg.getProductionVersion('clf'))?.version).toBe('1.0.0');

    const history = await reg.listStageChanges('clf');
    expect(history.map((h) => `${h.version}:${h.fromStage ?? '-'}→${h.toStage}:${h.action}`)).toEqual([
      '1.0.0:-→dev:register',
      '1.1.0:-→dev:register',
      '1.0.0:dev→staging:promote',
      '1.0.0:staging→production:promote',
      '1.1.0:dev→staging:promote',
      '1.0.0:production→archived:demote',
      '1.1.0:staging→production:promote',
      '1.1.0:production→archived:rollback',
      '1.0.0:archived→production:rollback',
    ]);
    expect(history.at(-1)).toMatchObject({ actor: 'pager' });
    expect((await reg.listStageChanges('clf', { version: '1.1.0' })).length).toBe(4);
  });

  it('keeps one production version under concurrent promotions', async () => {
    const reg = store.registry;
    for (const v of ['2.0.0', '2.0.1', '2.0.2']) {
      await reg.registerModelVersion(version(v, { name: 'race' }));
      await reg.setStage('race', v, 'staging', { actor: 't' });
    }
    const results = await Promise.allSettled(['2.0.0', '2.0.1', '2.0.2'].map((v) => reg.setStage('race', v, 'production', { actor: 't' })));
    for (const r of results) if (r.status === 'rejected') expect((r.reason as StoreError).code).toBe('CONFLICT');
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    expect((await reg.listModelVersions({ name: 'race', stage: 'production' })).length).toBe(1);
  });

  it('registers a real model folder after verifying every file, with a drift baseline', async () => {
    const { record, created } = await registerModelFolder(store.registry, DEFAULT_CLASSIFIER, { registeredBy: 'ci', gitCommit: null });
    expect(created).toBe(true);
    const manifest = JSON.parse(readFileSync(join(DEFAULT_CLASSIFIER, 'manifest.json'), 'utf8'));
    expect(record).toMatchObject({ name: manifest.name, version: manifest.version, kind: 'intent-classifier', files: manifest.files, trainingDataSha256: manifest.trainingDataSha256, stage: 'dev' });
    expect(isDriftBaseline(record.baseline)).toBe(true);
    const ds = storeIntents();
    expect((record.baseline as { n: number }).n).toBe(ds.val!.length + ds.test.length); // the store's val and test messages (550 + 577)
    expect(await verifyRegisteredArtifact(record)).toBe(true);
    // again with the same files: a no-op
    expect((await registerModelFolder(store.registry, DEFAULT_CLASSIFIER, { registeredBy: 'ci', baselineData: null })).created).toBe(false);
  });

  it('refuses a tampered artifact, an unlisted file, and a changed artifact after registration', async () => {
    const copy = join(dir, `tampered-${dialect}`);
    cpSync(DEFAULT_CLASSIFIER, copy, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8'));
    const bump = (extra: object) => writeFileSync(join(copy, 'manifest.json'), JSON.stringify({ ...manifest, ...extra }));

    // a flipped byte in the weights
    bump({ version: '1.0.0-tampered' });
    const onnx = join(copy, 'onnx', 'model_quantized.onnx');
    const bytes = readFileSync(onnx);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(onnx, bytes);
    const e = await registerModelFolder(store.registry, copy, { registeredBy: 'ci', baselineData: null }).catch((x) => x);
    expect(e).toBeInstanceOf(RegistryInputError);
    expect(e.code).toBe('MODEL_INTEGRITY');
    expect(e.message).toMatch(/sha256 mismatch for onnx\/model_quantized\.onnx/);
    expect(await store.registry.getModelVersion(manifest.name, '1.0.0-tampered')).toBeNull();

    // restored weights but an extra file the manifest does not cover
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(onnx, bytes);
    writeFileSync(join(copy, 'onnx', 'extra.onnx'), 'x');
    expect(await code(inspectModelFolder(copy))).toBe('MODEL_INTEGRITY');
    rmSync(join(copy, 'onnx', 'extra.onnx'));

    // a clean copy registers; modifying it afterwards (manifest rewritten to match) fails re-verification
    const { record } = await registerModelFolder(store.registry, copy, { registeredBy: 'ci', baselineData: null });
    expect(record.version).toBe('1.0.0-tampered');
    writeFileSync(join(copy, 'config.json'), readFileSync(join(copy, 'config.json'), 'utf8').replace('"oos"', '"xyz"'));
    const err = await verifyRegisteredArtifact(record).catch((x) => x);
    expect(err.code).toBe('MODEL_INTEGRITY');

    // not JSON / no manifest
    writeFileSync(join(copy, 'manifest.json'), '{');
    expect(await code(inspectModelFolder(copy))).toBe('INVALID_MANIFEST');
    expect(await code(inspectModelFolder(dir))).toBe('NOT_FOUND');
  });

  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'regional/src/ops/cli/registry.ts', ...args, '--domain', OPTS.domain], { env: { ...process.env, DATABASE_URL: url }, cwd: join(import.meta.dirname, '..'), timeout: 60_000 }).then(
      (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
      (e) => ({ code: e.code as number, out: e.stdout as string, err: e.stderr as string }),
    );

  it('hands a new production version to the region only after re-verifying its artifact', async () => {
    const reg = store.registry;
    const good = join(dir, `watch-good-${dialect}`);
    const bad = join(dir, `watch-bad-${dialect}`);
    const m = JSON.parse(readFileSync(join(DEFAULT_CLASSIFIER, 'manifest.json'), 'utf8'));
    for (const [d, v] of [[good, '5.0.0'], [bad, '5.0.1']] as const) {
      cpSync(DEFAULT_CLASSIFIER, d, { recursive: true });
      writeFileSync(join(d, 'manifest.json'), JSON.stringify({ ...m, name: 'watched', version: v }));
      await registerModelFolder(reg, d, { registeredBy: 't', baselineData: null, gitCommit: null });
      await reg.setStage('watched', v, 'staging', { actor: 't' });
    }
    const loaded: string[] = [];
    const refused: string[] = [];
    const w = watchProduction(reg, 'watched', {
      current: null,
      intervalMs: 3_600_000,
      onPromoted: async (v) => void loaded.push(v.version),
      onRefused: (v, e) => void refused.push(`${v.version}: ${(e as { code?: string }).code}`),
    });
    try {
      await w.check();
      expect(loaded).toEqual([]);
      await reg.setStage('watched', '5.0.0', 'production', { actor: 't' });
      await w.check();
      await w.check();
      expect(loaded).toEqual(['5.0.0']);
      // corrupted on disk after registration: refused once, the old version keeps serving
      writeFileSync(join(bad, 'config.json'), '{}');
      await reg.setStage('watched', '5.0.1', 'production', { actor: 't' });
      await w.check();
      await w.check();
      expect(loaded).toEqual(['5.0.0']);
      expect(refused).toEqual(['5.0.1: MODEL_INTEGRITY']);
      // the rollback to 5.0.0 is the version already serving: nothing to load
      await reg.rollback('watched', { actor: 'watch' });
      await w.check();
      expect(loaded).toEqual(['5.0.0']);
    } finally {
      w.stop();
    }
  });

  // The CLI is the same code on both databases: the full walk-through runs on SQLite, a short one on PostgreSQL.
  if (dialect === 'postgres') {
    it('CLI: registers and lists on PostgreSQL through DATABASE_URL', async () => {
      const v = join(dir, 'cli-pg');
      cpSync(DEFAULT_CLASSIFIER, v, { recursive: true });
      const m = JSON.parse(readFileSync(join(v, 'manifest.json'), 'utf8'));
      writeFileSync(join(v, 'manifest.json'), JSON.stringify({ ...m, name: 'cli-pg', version: '3.0.0' }));
      const reg = await cli('register', v, '--no-baseline', '--json');
      expect(reg.code, reg.err).toBe(0);
      expect((await store.registry.getModelVersion('cli-pg', '3.0.0'))?.stage).toBe('dev');
      expect(JSON.parse((await cli('list', '--name', 'cli-pg', '--json')).out).map((x: { version: string }) => x.version)).toEqual(['3.0.0']);
    }, 30_000);
    return;
  }

  it('CLI: register, refuse a tampered folder (exit 1), promote, rollback, show', async () => {
    const v2 = join(dir, `cli-v2-${dialect}`);
    cpSync(DEFAULT_CLASSIFIER, v2, { recursive: true });
    const m = JSON.parse(readFileSync(join(v2, 'manifest.json'), 'utf8'));
    writeFileSync(join(v2, 'manifest.json'), JSON.stringify({ ...m, name: 'cli-clf', version: '2.0.0' }));
    const reg = await cli('register', v2, '--no-baseline', '--parent', '1.0.0', '--json');
    expect(reg.code, reg.err).toBe(0);
    expect(JSON.parse(reg.out)).toMatchObject({ created: true, name: 'cli-clf', version: '2.0.0', stage: 'dev', parentVersion: '1.0.0' });

    writeFileSync(join(v2, 'manifest.json'), JSON.stringify({ ...m, name: 'cli-clf', version: '2.0.1' }));
    writeFileSync(join(v2, 'tokenizer_config.json'), '{}');
    const bad = await cli('register', v2, '--no-baseline');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/refused \(MODEL_INTEGRITY\).*sha256 mismatch for tokenizer_config\.json/);

    expect((await cli('promote', 'cli-clf', '2.0.0', '--to', 'production')).code).toBe(1);
    // the registered folder was modified since: promotion to staging re-verifies and refuses
    const refused = await cli('promote', 'cli-clf', '2.0.0', '--to', 'staging');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/MODEL_INTEGRITY/);
    cpSync(join(DEFAULT_CLASSIFIER, 'tokenizer_config.json'), join(v2, 'tokenizer_config.json'));
    expect((await cli('promote', 'cli-clf', '2.0.0', '--to', 'staging', '--reason', 'gate ok')).code).toBe(0);
    const prod = await cli('promote', 'cli-clf', '2.0.0', '--to', 'production', '--by', 'carol', '--json');
    expect(JSON.parse(prod.out)).toMatchObject({ stage: 'production', promotedBy: 'carol', replaced: null });
    expect((await cli('rollback', 'cli-clf')).err).toMatch(/nothing to roll back to/);
    const show = JSON.parse((await cli('show', 'cli-clf', '--json')).out);
    expect(show).toMatchObject({ version: '2.0.0', stage: 'production', parentVersion: '1.0.0' });
    expect(show.history.map((h: { to: string }) => h.to)).toEqual(['dev', 'staging', 'production']);
    const list = JSON.parse((await cli('list', '--name', 'cli-clf', '--json')).out);
    expect(list).toHaveLength(1);
    expect((await cli('promote', 'cli-clf', '2.0.0')).code).toBe(2);
  }, 180_000); // eleven CLI runs, each a fresh tsx process: 1–8 s apiece on a loaded machine
});
