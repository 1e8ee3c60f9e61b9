/**
 * Rollout rules in the registry on SQLite and PostgreSQL (append-only revisions, compare-and-set,
 * a stage move in the same transaction, machine-readable details in the stage history), the rule
 * schema and its mapping to the pure routing rule, and the per-variant sliding windows.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { setupOrFail } from './helpers/setup-or-fail.ts';
import { parseSpec, routingRule, RolloutRequest, type RolloutSpec } from '../regional/src/ops/rollout-rules.ts';
import { AbCounts, VariantWindows } from '../regional/src/ops/rollout-stats.ts';
import { openStore } from '../regional/src/store/open.ts';
import { PG_EMBEDDING_DIMENSIONS } from '../regional/src/store/schema.pg.ts';
import type { Store } from '../regional/src/store/types.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';

const code = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: { code?: string }) => e.code ?? String(e),
  );

describe.each(['sqlite', 'postgres'] as const)('rollout rules in the registry on %s', (dialect) => {
  let db: TempDatabase;
  let store: Store;
  const rule = (percent: number) => ({ kind: 'intent-classifier', control: '1.0.0', canary: { version: '1.1.0', percent } });

  setupOrFail(async () => {
    db = await tempDatabase(dialect, 'sy-rollout-store-');
    store = await openStore(db.url, { dimensions: PG_EMBEDDING_DIMENSIONS, embeddingVersion: 'test', domain: 'test' });
    for (const v of ['1.0.0', '1.1.0']) {
      await store.registry.registerModelVersion({ name: 'clf', version: v, kind: 'intent-classifier', artifactUri: `/m/${v}`, files: { 'a.onnx': 'a'.repeat(64) }, sizeBytes: 1, registeredBy: 'test' });
    }
    await store.registry.setStage('clf', '1.1.0', 'staging', { actor: 'test' });
  });
  afterAll(async () => {
    await store?.close();
    await db?.cleanup();
  });

  it('keeps every revision, the latest in force, and refuses a stale expectedRevision', async () => {
    const reg = store.registry;
    expect(await reg.getRollout('clf')).toBeNull();
    const a = await reg.putRollout('clf', rule(5), { actor: 'alice', reason: 'start', expectedRevision: 0 });
    expect(a).toMatchObject({ name: 'clf', revision: 1, rule: rule(5), actor: 'alice', reason: 'start', details: null });
    const b = await reg.putRollout('clf', rule(20), { actor: 'bob', expectedRevision: 1 });
    expect(b.revision).toBe(2);
    expect(await code(reg.putRollout('clf', rule(50), { actor: 'carol', expectedRevision: 1 }))).toBe('CONFLICT');
    expect((await reg.getRollout('clf'))!.rule).toEqual(rule(20));
    // Writers racing for the same revision: exactly one wins.
    const race = await Promise.all([0, 1, 2, 3].map((i) => code(reg.putRollout('clf', rule(30 + i), { actor: `w${i}`, expectedRevision: 2 }))));
    expect(race.filter((c) => c === undefined)).toHaveLength(1);
    expect(race.filter((c) => c === 'CONFLICT')).toHaveLength(3);
    expect((await reg.listRollouts()).map((r) => [r.name, r.revision])).toEqual([['clf', 3]]);
    const removed = await reg.putRollout('clf', null, { actor: 'alice', reason: 'done' });
    expect(removed).toMatchObject({ revision: 4, rule: null });
    expect(await reg.listRollouts()).toEqual([]);
    expect((await reg.listRolloutHistory('clf')).map((r) => r.revision)).toEqual([1, 2, 3, 4]);
    expect((await reg.listRolloutHistory('clf', { limit: 2 })).map((r) => r.revision)).toEqual([3, 4]);
    expect(await code(reg.putRollout('bad name!', rule(1), { actor: 'x' }))).toBe('INVALID_INPUT');
    expect(await code(reg.putRollout('clf', rule(1), { actor: '' }))).toBe('INVALID_INPUT');
  });

  it('moves the candidate back in the same transaction, with machine-readable details in the history', async () => {
    const reg = store.registry;
    const cur = (await reg.getRollout('clf'))!;
    const details = { kind: 'canary_rollback', codes: ['AGREEMENT'], observation: { canary: { requests: 300 } } };
    const change = { actor: 'canary-monitor@test', reason: 'agreement 40% < 90%', details, action: 'rollback' as const };
    const saved = await reg.putRollout('clf', rule(0), { ...change, expectedRevision: cur.revision, stage: { version: '1.1.0', to: 'dev', change } });
    expect(saved).toMatchObject({ rule: rule(0), details });
    expect((await reg.getModelVersion('clf', '1.1.0'))!.stage).toBe('dev');
    expect((await reg.listStageChanges('clf', { version: '1.1.0' })).at(-1)).toMatchObject({ fromStage: 'staging', toStage: 'dev', action: 'rollback', actor: 'canary-monitor@test', details });
    // A stage move that is not allowed fails the whole change: no new revision either.
    expect(await code(reg.putRollout('clf', rule(10), { actor: 'x', stage: { version: '1.1.0', to: 'production', change: { actor: 'x' } } }))).toBe('CONFLICT');
    expect((await reg.getRollout('clf'))!.revision).toBe(saved.revision);
    expect(await code(reg.putRollout('clf', rule(10), { actor: 'x', stage: { version: '9.9.9', to: 'dev', change: { actor: 'x' } } }))).toBe('NOT_FOUND');
    expect((await reg.getRollout('clf'))!.revision).toBe(saved.revision);
  });
});

describe('rollout rule schema', () => {
  it('validates requests and maps a stored spec to the routing rule', () => {
    expect(RolloutRequest.safeParse({ canary: { version: '1.1.0', percent: 10 } }).success).toBe(true);
    for (const bad of [
      {},
      { canary: { version: '1.1.0', percent: -1 } },
      { canary: { version: '1.1.0', percent: 10 }, ab: { variants: [{ version: 'a', weight: 1 }, { version: 'b', weight: 1 }] } },
      { ab: { variants: [{ version: 'a', weight: 1 }, { version: 'a', weight: 1 }] } },
      { ab: { variants: [{ version: 'a', weight: 0 }, { version: 'b', weight: 0 }] } },
      { shadow: { version: '../x', percent: 10 } },
      { shadow: { version: '1.1.0', percent: 10 }, extra: true },
    ]) {
      expect(RolloutRequest.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    const spec = parseSpec({ kind: 'intent-classifier', control: '1.0.0', canary: { version: '1.1.0', percent: 10 }, shadow: { version: '1.2.0', percent: 5 } }) as RolloutSpec;
    expect(routingRule('m', spec)).toEqual({ model: 'm', salt: 'v1', canary: { percent: 10, control: '1.0.0', canary: '1.1.0' }, shadow: { percent: 5, candidate: '1.2.0' } });
    const shadowOnly = parseSpec({ kind: 'llm-config', control: 'builtin', shadow: { version: '2.0.0', percent: 100 } }) as RolloutSpec;
    expect(routingRule('m', shadowOnly)).toMatchObject({ variants: [{ name: 'builtin', weight: 1 }], shadow: { percent: 100, candidate: '2.0.0' } });
    expect(parseSpec({ kind: 'intent-classifier', canary: { version: '1.1.0', percent: 10 } })).toBeNull();
  });
});

describe('variant windows', () => {
  it('counts per version over a sliding window, with p99 from the reservoir and the confidence histogram', () => {
    let now = 1_000_000;
    const w = new VariantWindows({ windowMs: 60_000, bucketMs: 10_000, now: () => now, reservoir: 4096 });
    for (let i = 1; i <= 1000; i++) w.observe('a', { ms: i, error: i % 100 === 0, confidence: 0.95 });
    w.compared('a', true);
    w.compared('a', false);
    const r = w.report('a');
    expect(r).toMatchObject({ requests: 1000, errors: 10, errorRate: 0.01, agreement: { compared: 2, agreed: 1, rate: 0.5 } });
    expect(r.p99Ms).toBeCloseTo(990.01, 2);
    expect(r.confidenceHistogram[9]).toBe(990);
    expect(w.observation('b', 'a')).toMatchObject({ control: { requests: 0 }, canary: { requests: 1000, errors: 10 }, agreement: { compared: 2, agreed: 1 } });
    now += 30_000;
    w.observe('a', { ms: 5, error: false });
    expect(w.report('a').requests).toBe(1001);
    now += 45_000; // the first bucket left the window
    expect(w.report('a').requests).toBe(1);
    now += 60_000;
    expect(w.versions()).toEqual([]);
    const ab = new AbCounts();
    ab.record('a', true);
    ab.record('a', false);
    expect(ab.get('a')).toEqual({ successes: 1, trials: 2 });
    expect(ab.get('b')).toEqual({ successes: 0, trials: 0 });
  });

  it('keeps a uniform latency sample when a bucket overflows its reservoir', () => {
    let x = 0;
    const w = new VariantWindows({ windowMs: 60_000, now: () => 0, reservoir: 500, random: () => ((x = (x * 1103515245 + 12345) % 2 ** 31), x / 2 ** 31) });
    for (let i = 0; i < 20_000; i++) w.observe('a', { ms: i % 100, error: false });
    const r = w.report('a');
    expect(r.requests).toBe(20_000);
    expect(r.p50Ms).toBeGreaterThan(40);
    expect(r.p50Ms).toBeLessThan(60);
    expect(r.p99Ms).toBeGreaterThan(95);
  });
});
