/**
 * Tuned routing configs (`npm run tune -- --write`): per-intent routing and decline thresholds
 * applied over the classifier's own (global as default), refused for another classifier version,
 * shown in explanations; the pack's routing/ folder checked against its manifest; and in the
 * region (real models, SQLite registry): the pack's config serves, a registered one is verified,
 * promoted, rolled back and canaried like a model, and the classifier's decisions follow it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { domainPack } from '../regional/src/domain/pack-files.ts';
import { registerModelFolder } from '../regional/src/ops/register-folder.ts';
import { loadRegisteredRoutingConfig } from '../regional/src/ops/routing-config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { readPackFiles } from '../models/pipeline/domain-pack.ts';
import { checkPack } from '../shared/domain/pack-check.ts';
import { decideIntent, type ClassifierCalibration } from '../shared/models/intent-classifier.ts';
import { explainPrediction } from '../shared/routing/explain.ts';
import { applyRoutingConfig, decideWithRouting, routingConfigFiles, type RoutingConfig, type VersionedRoutingConfig } from '../shared/routing/routing-config.ts';
import { createHash } from 'node:crypto';
import { tamper } from './helpers/candidates.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';

const OWN: ClassifierCalibration = { oosThreshold: 0.4, routeThreshold: 0.95, declineThreshold: 0.98 };
const cfg = (over: Partial<RoutingConfig> = {}): RoutingConfig => ({ classifier: 'clf@1.0.0', embedder: 'emb@1.0.0', routeThresholds: { greeting: 0.6 }, declineThreshold: 0.9, cacheHitThresholds: {}, ...over });
const rc = (over: Partial<RoutingConfig> = {}): VersionedRoutingConfig => ({ id: 'shop-routing-config@2.0.0', config: cfg(over) });

describe('applying a routing config', () => {
  it('uses an intent’s own threshold, the global one for the others, and its decline threshold', () => {
    const a = applyRoutingConfig(OWN, rc(), 'clf@1.0.0');
    expect(a.applied).toBe(true);
    expect(decideIntent('greeting', 0.7, a.calibration).confident).toBe(true); // 0.7 >= 0.6 (own: 0.95)
    expect(decideIntent('greeting', 0.7, OWN).confident).toBe(false);
    expect(decideIntent('shipping', 0.9, a.calibration).confident).toBe(false); // no own threshold: global 0.95
    expect(decideIntent('oos', 0.92, a.calibration).confident).toBe(true); // decline 0.9 (own: 0.98)
    expect(decideIntent('oos', 0.92, OWN).confident).toBe(false);
  });

  it('refuses a config tuned for another classifier version and says why', () => {
    const a = applyRoutingConfig(OWN, rc(), 'clf@1.1.0');
    expect(a.applied).toBe(false);
    expect(a.calibration).toBe(OWN);
    expect(a.applied === false && a.reason).toMatch(/tuned for clf@1\.0\.0, not clf@1\.1\.0/);
    expect(decideWithRouting({ intent: 'greeting', topLabel: 'greeting', confidence: 0.7, confident: false }, OWN, rc(), 'clf@1.1.0').confident).toBe(false);
    expect(decideWithRouting({ intent: 'greeting', topLabel: 'greeting', confidence: 0.7, confident: false }, OWN, rc(), 'clf@1.0.0').confident).toBe(true);
  });

  it('explains with the threshold the intent was compared with, where it came from and the config', () => {
    const { calibration } = applyRoutingConfig(OWN, rc(), 'clf@1.0.0');
    const p = decideIntent('greeting', 0.7, calibration);
    expect(explainPrediction(p, calibration)).toMatchObject({ routeThreshold: 0.6, routeThresholdFrom: 'intent', routingConfig: 'shop-routing-config@2.0.0', declineThreshold: 0.9, confident: true });
    expect(explainPrediction(decideIntent('shipping', 0.97, calibration), calibration)).toMatchObject({ routeThreshold: 0.95, routeThresholdFrom: 'global' });
  });
});

describe("the pack's routing folder", () => {
  const files = readPackFiles('domains/kitsune-books');
  const sha = (t: string) => createHash('sha256').update(t).digest('hex');

  it('is the kitsune-books pack’s, for its classifier, with a matching manifest', () => {
    const r = checkPack(files, sha, { dataRules: false });
    expect(r.ok).toBe(true);
    const pack = r.ok ? r.pack : null;
    expect(pack?.routingConfig?.id).toBe('kitsune-books-routing-config@1.1.0');
    expect(pack?.routingConfig?.config.classifier).toBe('switchyard-store-intent@1.1.0');
    expect(Object.keys(pack!.routingConfig!.config.routeThresholds).length).toBeGreaterThan(5);
  });

  it('is refused when its text no longer matches the manifest, or names an unknown intent', () => {
    const json = JSON.parse(files['routing/routing-config.json']);
    const edited = JSON.stringify({ ...json, routeThresholds: { ...json.routeThresholds, x_unknown: 0.5 } });
    const r = checkPack({ ...files, 'routing/routing-config.json': edited }, sha, { dataRules: false });
    expect(r.ok).toBe(false);
    const messages = r.ok ? [] : r.issues.map((i) => `${i.file}: ${i.message}`);
    expect(messages).toContain('routing/routing-config.json: sha256 differs from routing/manifest.json (write it with npm run tune -- --write)');
    expect(messages.some((m) => m.includes('routeThresholds.x_unknown: not an intent of domain.json'))).toBe(true);
    const noManifest = { ...files };
    delete noManifest['routing/manifest.json'];
    const r2 = checkPack(noManifest, sha, { dataRules: false });
    expect(r2.ok ? [] : r2.issues.map((i) => i.file)).toContain('routing/manifest.json');
  });
});

describe('routing configs in the region', () => {
  let db: TempDatabase;
  let r: RunningRegional;
  const NAME = 'kitsune-books-routing-config';
  const ADMIN = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };
  const pack = domainPack('domains/kitsune-books').routingConfig!;
  /** A config folder: the pack's thresholds with every routing threshold replaced by `t`. */
  const folder = async (version: string, over: Partial<RoutingConfig>) => {
    const dir = join(db.dir, `rc-${version}`);
    mkdirSync(dir, { recursive: true });
    const f = await routingConfigFiles({ ...pack.config, ...over }, { name: NAME, version });
    for (const [p, b] of Object.entries(f)) writeFileSync(join(dir, p), b);
    return dir;
  };
  const wait = async (ok: () => boolean, ms = 10_000) => {
    for (const t0 = Date.now(); !ok() && Date.now() - t0 < ms; ) await new Promise((res) => setTimeout(res, 50));
  };

  beforeAll(async () => {
    db = await tempDatabase('sqlite', 'sy-routing-config-', 'r.db');
    r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: db.url, ROLLOUT_REFRESH_MS: '100' }), () => {});
  }, 120_000);
  afterAll(async () => {
    await r?.close();
    await db?.cleanup();
  });

  it("decides with the pack's config until a registered one is promoted, and again after a rollback", async () => {
    const s = r.services;
    expect(s.routing.current?.id).toBe('kitsune-books-routing-config@1.1.0');
    // The pack's greeting threshold is below the classifier's global one: a greeting between them routes.
    const hi = await s.classify!('hello there!');
    expect(hi.intent).toBe('greeting_chitchat');
    expect(hi.confident).toBe(true);

    const reg = s.store.registry;
    // The pack's own folder registered and in production first (what a rollback returns to).
    await registerModelFolder(reg, 'domains/kitsune-books/routing', { registeredBy: 'test' });
    await reg.setStage(NAME, '1.1.0', 'staging', { actor: 'test', reason: 'gate passed' });
    await reg.setStage(NAME, '1.1.0', 'production', { actor: 'test', reason: 'the pack’s' });
    const strict = await folder('2.0.0', { routeThresholds: Object.fromEntries(Object.keys(pack.config.routeThresholds).map((k) => [k, 1])) });
    await registerModelFolder(reg, strict, { registeredBy: 'test' });
    await reg.setStage(NAME, '2.0.0', 'staging', { actor: 'test', reason: 'gate passed' });
    await reg.setStage(NAME, '2.0.0', 'production', { actor: 'test', reason: 'promote' });
    await wait(() => s.routing.current?.id === `${NAME}@2.0.0`);
    expect(s.routing.current?.id).toBe(`${NAME}@2.0.0`);
    expect((await s.classify!('hello there!')).confident).toBe(false); // nothing below 1.0 routes now

    await reg.rollback(NAME, { actor: 'test', reason: 'too strict' });
    await wait(() => s.routing.current?.id !== `${NAME}@2.0.0`);
    expect(s.routing.current?.id).toBe('kitsune-books-routing-config@1.1.0');
    expect((await reg.getProductionVersion(NAME))?.version).toBe('1.1.0');
    expect((await s.classify!('hello there!')).confident).toBe(true);
  });

  it('refuses to register a config that does not parse, and loads a registered one only while its files match', async () => {
    const bad = await folder('9.0.0', { routeThresholds: { shipping_info: 3 } as Record<string, number> });
    await expect(registerModelFolder(r.services.store.registry, bad, { registeredBy: 'test' })).rejects.toMatchObject({ code: 'INVALID_MANIFEST' });
    const ok = await folder('3.0.0', {});
    const { record } = await registerModelFolder(r.services.store.registry, ok, { registeredBy: 'test' });
    expect((await loadRegisteredRoutingConfig(record)).id).toBe(`${NAME}@3.0.0`);
    tamper(ok, 'routing-config.json');
    await expect(loadRegisteredRoutingConfig(record)).rejects.toMatchObject({ code: 'MODEL_INTEGRITY' });
  });

  it('canaries a config: its share of requests decides with it and its window counts them', async () => {
    const strict = await folder('4.0.0', { routeThresholds: Object.fromEntries(Object.keys(pack.config.routeThresholds).map((k) => [k, 1])) });
    const reg = r.services.store.registry;
    await registerModelFolder(reg, strict, { registeredBy: 'test' });
    await reg.setStage(NAME, '4.0.0', 'staging', { actor: 'test', reason: 'gate passed' });
    const put = await fetch(`${r.url}/v1/ops/rollouts/${NAME}`, { method: 'PUT', headers: ADMIN, body: JSON.stringify({ canary: { version: '4.0.0', percent: 100 }, agreementSample: 100, autoRollback: false }) });
    expect(put.status).toBe(200);
    const EDGE = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' };
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${r.url}/v1/generate`, { method: 'POST', headers: EDGE, body: JSON.stringify({ message: 'hello there!', sessionId: `rc-${i}` }) });
      expect(res.status).toBe(200);
      await res.text();
    }
    const status = await (await fetch(`${r.url}/v1/ops/rollouts/${NAME}/status`, { headers: ADMIN })).json();
    expect(status.kind).toBe('routing-config');
    expect(status.control).toBe('1.1.0');
    expect(status.stats['4.0.0'].requests).toBe(3);
    // The control config would have routed these greetings; the canary does not: they disagree.
    expect(status.stats['4.0.0'].agreement.rate).toBe(0);
  });
});
